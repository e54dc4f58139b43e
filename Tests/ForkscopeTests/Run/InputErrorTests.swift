import Foundation
import Testing
@testable import Forkscope

@Suite("InputError and Warning")
struct InputErrorTests {
    typealias Kit = RunTestKit

    @Test func descriptionNamesFileFieldAndMessage() {
        let e = InputError(file: "runs/x/run.json", field: "branches[3].fork_at", "9 is outside 1...4")
        #expect(e.description == "runs/x/run.json: branches[3].fork_at: 9 is outside 1...4")
        let whole = InputError(file: "runs/x/run.json", "malformed JSON")
        #expect(whole.description == "runs/x/run.json: malformed JSON")
        #expect(whole.field == nil)
    }

    @Test func warningDescribesItselfLikeAnError() {
        let w = Warning(file: "a/run.json", field: "title", "missing; the run folder's name is used")
        #expect(w.description == "a/run.json: title: missing; the run folder's name is used")
        #expect(Warning(file: "f", "m").description == "f: m")
    }

    @Test("message line feeds are flattened", arguments: ["two\nlines", "many\n\n\nbreaks"])
    func messageLineFeeds(message: String) {
        let e = InputError(file: "f.json", field: "x", message)
        #expect(Kit.isOneLine(e.description), "\(e.description.debugDescription)")
        #expect(e.description.hasPrefix("f.json: x: "))
        #expect(Kit.isOneLine(Warning(file: "f.json", message).description))
    }

    // Fields embed user text (any text may be a branch id, and ids name tensors: `tensor "<id>"`),
    // so every line terminator anywhere in the description is flattened.

    @Test("message carriage returns are flattened", arguments: ["crlf\r\nline", "cr\ronly"])
    func messageCarriageReturns(message: String) {
        let e = InputError(file: "f.json", field: "x", message)
        #expect(Kit.isOneLine(e.description), "\(e.description.debugDescription)")
        #expect(Kit.isOneLine(Warning(file: "f.json", message).description))
    }

    @Test func fieldLineBreaksAreFlattened() {
        let e = InputError(file: "act.safetensors", field: "tensor \"r2\nsecond\"", "missing (every branch needs one)")
        #expect(Kit.isOneLine(e.description), "\(e.description.debugDescription)")
    }

    /// A run.json value with a CR LF inside (a wrong format string) reaches the message.
    @Test func crlfInAValueGivesOneLine() throws {
        try Kit.expectManifestFails({ $0.manifest["format"] = "forkscope\r\nrun/2" }, field: "format")
    }
}
