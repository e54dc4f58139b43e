import Foundation
import Testing
import ForkscopeTestSupport
@testable import Forkscope

/// Tests/Fixtures/runs/synthetic, written by scripts/synth_run.py with a known structure: a
/// positional component shared by every token at a position, a topic direction per root (the
/// `group` of its branches), noise, and an attention-sink-like first token of every root with
/// ~100x the median norm. A build must find what was planted.
@Suite("End to end: the planted synthetic run")
struct SyntheticRunTests {
    typealias Kit = SiteTestKit

    static var run: String { Fixtures.packageRoot.appendingPathComponent("Tests/Fixtures/runs/synthetic").path }

    /// The run folder, or a failure saying how to make it.
    static func requireRun(sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        try #require(FileManager.default.fileExists(atPath: run + "/run.json"),
                     "\(run) is missing: write it with `python3 scripts/synth_run.py Tests/Fixtures/runs/synthetic --roots 4 --samples 3 --prompt-len 6 --cont-len 10 --grandchildren 1 --layers 3 --hidden 48 --dtype F32 --seed 0 --zero-pe` (Tests/Fixtures/README.md)",
                     sourceLocation: sourceLocation)
        return run
    }

    struct Massive: Decodable { var branch: String; var token_index: Int; var position: Int; var token: String; var norm_ratio: Double; var top_dimensions: [Int] }
    struct Measures: Decodable { var tokens: Int; var fit_tokens: Int; var position_probe: Double?; var root_knn_purity: Double?; var root_knn_chance: Double? }
    struct Layer: Decodable { var layer: Int; var massive: [Massive]; var massive_excluded: Bool; var views: [String: Measures] }
    struct Report: Decodable { var layers: [Layer]; var verdict: String }

    static func report(_ site: URL) throws -> Report {
        try JSONDecoder().decode(Report.self, from: Data(contentsOf: site.appendingPathComponent("report.json")))
    }

    @Test("the massive first tokens are detected, named in report.json and on the layer pages, and kept out of the fits")
    func massiveFirstTokens() throws {
        let run = try Self.requireRun()
        let info = try Kit.runInfo(run)
        let roots = info.branches.filter { $0.parent == nil }
        try #require(roots.count >= 2)
        try Kit.withBuiltSite(run: run) { site, _ in
            let report = try Self.report(site)
            #expect(report.layers.map(\.layer) == info.layers)
            var dimensions: Set<[Int]> = []
            for layer in report.layers {
                let at = "layer \(layer.layer)"
                // Exactly the roots' first tokens, in run order.
                #expect(layer.massive.map(\.branch) == roots.map(\.id), "\(at): \(layer.massive.map(\.branch))")
                for (m, root) in zip(layer.massive, roots) {
                    #expect(m.token_index == 0 && m.position == 0 && m.token == root.tokens[0], "\(at): \(m)")
                    #expect(m.norm_ratio > 50, "\(at): the planted sink is ~100x the median norm, got \(m.norm_ratio)")
                }
                dimensions.formUnion(layer.massive.map(\.top_dimensions))
                #expect(layer.massive_excluded)
                let raw = try #require(layer.views["raw"])
                #expect(raw.tokens == info.tokenCount && raw.fit_tokens == info.tokenCount - roots.count, "\(at)")

                let html = try Kit.text(site.appendingPathComponent("layers/\(layer.layer).html"))
                let section = try #require(Kit.between(html, "<section class=\"massive\">", "</section>"), "\(at): no massive-activation section")
                #expect(Kit.count("<tr><td>", in: section) == roots.count, "\(at): massive tokens listed")
                for root in roots { #expect(section.contains("<code class=\"id\">\(Kit.escape(root.id))</code>"), "\(at): \(root.id) not named") }
            }
            // The sink's three planted dimensions, the same for every root at every layer.
            #expect(dimensions.count == 1, "\(dimensions)")
            #expect(report.verdict.contains("One token dominates"), "\(report.verdict)")
        }
    }

    /// The middle third of the layers (at least one), as the verdict reads them.
    static func middle(_ layers: [Int]) -> [Int] {
        let n = layers.count
        return n < 3 ? layers : Array(layers[(n / 3)..<(n - n / 3)])
    }

    @Test("at the middle layers, erasing position brings the probe to chance while raw's is high, and content neighbourhoods get purer")
    func erasureExposesTopics() throws {
        let run = try Self.requireRun()
        let info = try Kit.runInfo(run)
        try Kit.withBuiltSite(run: run) { site, _ in
            let report = try Self.report(site)
            let middle = Self.middle(info.layers)
            try #require(!middle.isEmpty)
            for layer in report.layers where middle.contains(layer.layer) {
                let at = "layer \(layer.layer)"
                let raw = try #require(layer.views["raw"])
                let rawProbe = try #require(raw.position_probe, "\(at): raw position_probe is null")
                #expect(rawProbe >= 0.5, "\(at): the planted positional signal is not decodable in raw (probe \(rawProbe))")
                let erased = ["position_mean", "regress", "leace"]
                for name in erased {
                    let probe = try #require(layer.views[name]?.position_probe, "\(at): \(name) position_probe is null")
                    #expect(probe <= 0.2, "\(at): \(name) leaves position decodable (probe \(probe), raw \(rawProbe))")
                }
                let rawPurity = try #require(raw.root_knn_purity)
                let purities = try erased.map { name in (name, try #require(layer.views[name]?.root_knn_purity, "\(at): \(name)")) }
                #expect(purities.contains { $0.1 > rawPurity }, "\(at): no erased view's root kNN purity beats raw's \(rawPurity): \(purities)")
                // And the purer view is well above what random neighbours would give.
                let chance = try #require(raw.root_knn_chance)
                #expect(purities.map(\.1).max()! > chance + 0.2, "\(at): purity \(purities) vs chance \(chance)")
            }
        }
    }
}
