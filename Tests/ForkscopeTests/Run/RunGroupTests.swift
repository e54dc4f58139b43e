import Foundation
import Testing
import ForkscopeTestSupport
@testable import Forkscope

/// A branch's `group` (an extra field some capture tools write) names its root group for the
/// content measures (docs/views-and-measures.md): a string, or a number taken as its text; any
/// other value is ignored with a warning, never rejected. Without one, a branch belongs to its root.
@Suite("RunReader: the group field")
struct RunGroupTests {
    typealias Kit = RunTestKit

    /// Opens the standard tree (r1, r1.a, r1.b, r1.a.x, r2) with `group` set on the given branches.
    private func open(groups: [Int: Any]) throws -> RunReader {
        var run = Kit.standardRun()
        for (i, g) in groups { run.editBranch(i) { $0["group"] = g } }
        return try TemporaryFolder.with { dir in
            try run.write(to: dir)
            return try RunReader(directory: dir.path)
        }
    }

    @Test("without groups every branch belongs to its root")
    func rootsByDefault() throws {
        let reader = try open(groups: [:])
        #expect(reader.warnings.isEmpty)
        #expect(reader.run.rootGroupNames == ["r1", "r1", "r1", "r1", "r2"])
        // Token groups index the sorted names: r1 -> 0, r2 -> 1; r1 4 tokens, r1.a 2, r1.b 3, r1.a.x 2, r2 3.
        #expect(reader.run.tokenRootGroups == Array(repeating: 0, count: 11) + [1, 1, 1])
    }

    @Test("strings and numbers name groups; null means none")
    func stringsAndNumbers() throws {
        let reader = try open(groups: [0: "gardening", 1: 17, 2: 2.5, 3: NSNull(), 4: "gardening"])
        #expect(reader.warnings.isEmpty, "\(reader.warnings)")
        #expect(reader.run.rootGroupNames == ["gardening", "17", "2.5", "r1", "gardening"])
        // Sorted names: "17", "2.5", "gardening", "r1".
        #expect(reader.run.tokenRootGroups == [2, 2, 2, 2, 0, 0, 1, 1, 1, 3, 3, 2, 2, 2])
    }

    @Test("any other value is ignored with a warning naming the field", arguments: [0, 1, 2, 3])
    func otherTypesIgnored(kind: Int) throws {
        let values: [Any] = [true, [1, 2], ["name": "x"], false]
        let reader = try open(groups: [1: values[kind]])
        #expect(reader.warnings.count == 1, "\(reader.warnings)")
        let w = try #require(reader.warnings.first)
        #expect(w.field == "branches[1].group")
        #expect(w.file.hasSuffix("run.json"))
        #expect(w.description.contains("ignored"))
        #expect(Kit.isOneLine(w.description))
        // The branch falls back to its root's group.
        #expect(reader.run.rootGroupNames == ["r1", "r1", "r1", "r1", "r2"])
    }
}
