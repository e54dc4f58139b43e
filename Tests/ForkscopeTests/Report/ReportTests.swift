import Foundation
import Testing
@testable import Forkscope

/// report.json (`forkscope.report/1`), decoded with the test's own types: the key names are the
/// public contract of docs/report-format.md.
@Suite("report.json")
struct ReportTests {
    typealias Kit = SiteTestKit

    struct File: Decodable {
        struct Model: Decodable { var name: String; var version: String?; var positional_encoding: String? }
        struct Branch: Decodable { var id: String; var label: String; var parent: String?; var fork_at: Int?; var tokens: Int; var pages: String }
        struct Run: Decodable {
            var title: String; var model: Model; var hidden_size: Int; var layers: [Int]; var tokens: Int
            var branches: [Branch]; var variants: [String]
        }
        struct ViewInfo: Decodable { var title: String; var description: String }
        struct Measures: Decodable { var position_r2: Double?; var pca_explained_variance: [Double]?; var tokens: Int }
        struct Layer: Decodable { var layer: Int; var page: String; var data: String; var views: [String: Measures] }
        var format: String
        var generator: String
        var run: Run
        var views: [String: ViewInfo]
        var layers: [Layer]
        var warnings: [String]
    }

    static func decode(_ site: URL) throws -> (File, [String: Any]) {
        let data = try Data(contentsOf: site.appendingPathComponent("report.json"))
        let file = try JSONDecoder().decode(File.self, from: data)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return (file, object)
    }

    @Test("decodes with the documented keys and agrees with the run", arguments: ["Examples/topics-mini", "Tests/Fixtures/runs/tree-f32"])
    func contents(run: String) throws {
        let runPath = Kit.repoRoot.appendingPathComponent(run).path
        let info = try Kit.runInfo(runPath)
        try Kit.withBuiltSite(run: runPath) { site, _ in
            let (report, object) = try Self.decode(site)
            #expect(report.format == "forkscope.report/1")
            #expect(Set(object.keys) == ["format", "generator", "run", "views", "layers", "warnings"])
            #expect(report.generator == "forkscope \(Forkscope.version)")
            #expect(report.run.layers == info.layers)
            #expect(report.run.tokens == info.tokenCount)
            #expect(report.run.branches.map(\.id) == info.branches.map(\.id))
            for (b, r) in zip(info.branches, report.run.branches) {
                #expect(r.label == b.label && r.parent == b.parent && r.fork_at == b.forkAt && r.tokens == b.tokens.count)
                #expect(r.pages.hasPrefix("branches/") && r.pages.hasSuffix("/"))
                for l in info.layers {
                    #expect(FileManager.default.fileExists(atPath: site.appendingPathComponent(r.pages + "\(l).html").path))
                }
            }
            #expect(Set(report.views.keys) == ["raw", "position_mean"])
            #expect(report.views["raw"]?.title == "Raw")
            #expect(report.layers.map(\.layer) == info.layers)
            for layer in report.layers {
                #expect(layer.page == "layers/\(layer.layer).html" && layer.data == "layers/\(layer.layer).csv")
                #expect(FileManager.default.fileExists(atPath: site.appendingPathComponent(layer.page).path))
                #expect(FileManager.default.fileExists(atPath: site.appendingPathComponent(layer.data).path))
                #expect(Set(layer.views.keys) == ["raw", "position_mean"], "layer \(layer.layer)")
                let raw = try #require(layer.views["raw"]), mean = try #require(layer.views["position_mean"])
                #expect(raw.tokens == info.tokenCount)
                #expect(mean.tokens == info.supportedTokenCount)
                for m in [raw, mean] {
                    let shares = try #require(m.pca_explained_variance)
                    #expect(shares.count == 2)
                    #expect(shares.allSatisfy { $0 >= 0 && $0 <= 1 + 1e-12 })
                    #expect(shares[0] >= shares[1])
                    #expect(shares.reduce(0, +) <= 1 + 1e-12)
                    if let r2 = m.position_r2 { #expect(r2 >= -1e-9 && r2 <= 1 + 1e-9) }
                }
                // Position means removed: position explains nothing any more.
                #expect(abs(mean.position_r2 ?? 0) < 1e-9)
            }
        }
    }

    @Test("keys are sorted and slashes are not escaped, so diffs stay readable")
    func formatting() throws {
        try Kit.withBuiltSite(run: Kit.treeF32) { site, _ in
            let text = try Kit.text(site.appendingPathComponent("report.json"))
            #expect(text.hasSuffix("}\n"))
            #expect(!text.contains("\\/"))
            #expect(text.contains("\"page\" : \"layers/0.html\"") || text.contains("\"page\": \"layers/0.html\""))
            // Top-level keys sit at two spaces of indentation.
            let top = ["format", "generator", "layers", "run", "views", "warnings"].map { "\n  \"\($0)\"" }
            let offsets = top.compactMap { text.range(of: $0)?.lowerBound }
            #expect(offsets.count == top.count && offsets == offsets.sorted())
        }
    }

    @Test("hostile token texts do not reach report.json; labels round-trip")
    func hostileText() throws {
        try Kit.withBuiltSite(run: Kit.treeF32) { site, _ in
            let (report, _) = try Self.decode(site)
            #expect(report.run.title.contains("hostile token texts"))
            #expect(report.run.branches.map(\.label) == ["root r1", "branch r1.a", "branch r1.b", "branch r1.a.x", "root r2", "branch r2.a"])
            #expect(report.run.branches[3].parent == "r1.a" && report.run.branches[3].fork_at == 2)
            #expect(report.warnings.isEmpty)
        }
    }
    /// docs/report-format.md: keys are stable and "a measure that cannot be computed is `null`";
    /// its example shows `"parent": null, "fork_at": null` for a root. Report.swift's synthesized
    /// Encodable uses encodeIfPresent for Optionals, which drops such keys instead.
    @Test("every documented key is present in every object, null where there is no value")
    func keysAlwaysPresent() throws {
        try Kit.withBuiltSite(run: Kit.treeF32) { site, _ in
            let (_, object) = try Self.decode(site)
            let run = try #require(object["run"] as? [String: Any])
            #expect(Set(run.keys) == ["title", "model", "hidden_size", "layers", "tokens", "branches", "variants"])
            let model = try #require(run["model"] as? [String: Any])
            #expect(Set(model.keys) == ["name", "version", "positional_encoding"])
            for branch in try #require(run["branches"] as? [[String: Any]]) {
                #expect(Set(branch.keys) == ["id", "label", "parent", "fork_at", "tokens", "pages"], "branch \(branch["id"] ?? "?")")
            }
            let roots = try #require(run["branches"] as? [[String: Any]]).filter { ["r1", "r2"].contains($0["id"] as? String) }
            for root in roots {
                #expect(root["parent"] is NSNull && root["fork_at"] is NSNull, "root \(root["id"] ?? "?"): \(root)")
            }
            for layer in try #require(object["layers"] as? [[String: Any]]) {
                #expect(Set(layer.keys) == ["layer", "page", "data", "views"])
                for (name, view) in try #require(layer["views"] as? [String: [String: Any]]) {
                    #expect(Set(view.keys) == ["position_r2", "pca_explained_variance", "tokens"], "\(name): \(view.keys.sorted())")
                }
            }
        }
    }

    @Test("degenerate runs: measures that cannot be computed are null, not missing or empty",
          arguments: SiteTestKit.degenerateRuns)
    func degenerateMeasuresAreNull(name: String) throws {
        try Kit.withTempFolder { tmp in
            let run = tmp.appendingPathComponent(name)
            try Kit.writeDegenerateRun(name, at: run)
            let info = try Kit.runInfo(run.path)
            let site = tmp.appendingPathComponent("site")
            _ = try Build.run(BuildOptions(run: run.path, out: site.path))
            let (_, object) = try Self.decode(site)
            for layer in try #require(object["layers"] as? [[String: Any]]) {
                let views = try #require(layer["views"] as? [String: [String: Any]])
                let raw = try #require(views["raw"]), mean = try #require(views["position_mean"])
                #expect(raw["tokens"] as? Int == info.tokenCount)
                #expect(mean["tokens"] as? Int == info.supportedTokenCount)
                for (view, m) in [("raw", raw), ("position_mean", mean)] {
                    let tokens = m["tokens"] as? Int ?? -1
                    // position_r2 needs supported tokens and some variance; every view of these runs
                    // lacks one or the other, so it is null (and present).
                    #expect(m["position_r2"] is NSNull, "\(name) \(view): position_r2 = \(m["position_r2"] ?? "missing")")
                    if tokens < 2 {
                        #expect(m["pca_explained_variance"] is NSNull,
                                "\(name) \(view): \(tokens) tokens, pca_explained_variance = \(m["pca_explained_variance"] ?? "missing")")
                    } else {
                        #expect((m["pca_explained_variance"] as? [Double])?.count == 2, "\(name) \(view)")
                    }
                }
            }
            // Pages still build and their plots parse.
            for l in info.layers {
                let html = try Kit.text(site.appendingPathComponent("layers/\(l).html"))
                let svgs = Kit.svgFragments(html).filter { $0.contains("class=\"scatter\"") }
                #expect(svgs.count == 2)
                for svg in svgs { #expect(Kit.xmlError(svg) == nil) }
            }
        }
    }
}
