import Foundation
import Testing
import ForkscopeTestSupport
@testable import Forkscope

/// The output itself, under review: the tree-f32 fixture built with UMAP off, and its report.json,
/// front page and one layer page compared with the files committed in Tests/Fixtures/golden/
/// (swift-markdown's golden dumps). A change in what a build writes shows in the diff of those
/// files. After an intended change: `make golden`, then review and commit the new files.
@Suite("Golden files")
struct GoldenTests {
    static let folder = Fixtures.url("Tests/Fixtures/golden/tree-f32")
    /// The files compared, relative to the site.
    static let files = ["report.json", "index.html", "layers/2.html"]
    static let updating = ProcessInfo.processInfo.environment["FORKSCOPE_UPDATE_GOLDEN"] == "1"

    @Test func treeF32MatchesItsGoldenFiles() throws {
        try TemporaryFolder.with { tmp in
            var options = BuildOptions(run: Fixtures.treeF32, out: tmp.appendingPathComponent("site").path)
            options.analysis.projections = [.pca]
            options.analysis.threads = 1
            _ = try Build.run(options)
            for file in Self.files {
                let built = try Data(contentsOf: tmp.appendingPathComponent("site/\(file)"))
                let golden = Self.folder.appendingPathComponent(file)
                if Self.updating {
                    try FileManager.default.createDirectory(at: golden.deletingLastPathComponent(), withIntermediateDirectories: true)
                    try built.write(to: golden)
                    continue
                }
                let expected = try Data(contentsOf: golden)
                let same = Self.normalised(built, file) == Self.normalised(expected, file)
                #expect(same,
                        "\(file) differs from Tests/Fixtures/golden/tree-f32/\(file) at line \(Self.firstDifference(built, expected)); if intended, `make golden`")
            }
        }
    }

    /// Bytes as compared: pages exactly; report.json with every number to 12 significant digits,
    /// so that the last bits of a BLAS kernel on another CPU do not count as a change while every
    /// key, text and figure does.
    static func normalised(_ data: Data, _ file: String) -> String {
        let text = String(decoding: data, as: UTF8.self)
        guard file.hasSuffix(".json") else { return text }
        let number = try! NSRegularExpression(pattern: #"(?<=[:\[,]\s{0,80})-?\d+\.\d+(e[-+]?\d+)?"#)
        var out = "", last = text.startIndex
        for match in number.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
            let range = Range(match.range, in: text)!
            out += text[last..<range.lowerBound] + String(format: "%.12g", Double(text[range])!)
            last = range.upperBound
        }
        return out + text[last...]
    }

    /// The first line (1-based) where two texts differ.
    static func firstDifference(_ a: Data, _ b: Data) -> Int {
        let la = String(decoding: a, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        let lb = String(decoding: b, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        return (zip(la, lb).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(la.count, lb.count)) + 1
    }

    @Test func theNormalisationKeepsEveryKeyAndTextAndOnlyRoundsNumbers() {
        let a = Data(#"{"a" : 0.123456789012345, "b" : [1.5, -2.25e-07], "c" : "0.1234567890123456"}"#.utf8)
        let b = Data(#"{"a" : 0.123456789012346, "b" : [1.5, -2.25e-07], "c" : "0.1234567890123456"}"#.utf8)
        let c = Data(#"{"a" : 0.1234567891, "b" : [1.5, -2.25e-07], "c" : "0.1234567890123456"}"#.utf8)
        #expect(Self.normalised(a, "x.json") == Self.normalised(b, "x.json"))
        #expect(Self.normalised(a, "x.json") != Self.normalised(c, "x.json"))
        #expect(Self.normalised(a, "x.json").contains(#""c" : "0.1234567890123456""#))
        #expect(Self.normalised(a, "x.html") != Self.normalised(b, "x.html"))
    }
}
