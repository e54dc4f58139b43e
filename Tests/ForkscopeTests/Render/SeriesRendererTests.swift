import Foundation
import Testing
import ForkscopeTestSupport
@testable import Forkscope

/// The site of a series (Sources/Forkscope/Render/SeriesRenderer.swift) on the planted series of
/// `SeriesDiffTests` (layer 1 shuffled from version 4 on): the heat maps and diff.json show the
/// change exactly there; each pair's folder is that pair's own diff site; labels are escaped.
struct SeriesRendererTests {
    typealias Kit = SiteTestKit
    static let labels = ["base", "<b>two</b>", "three\"", "four", "five"]

    @Test func heatMapsAndDiffJSONShowThePlantedChange() throws {
        try SeriesDiffTests.withSeries { paths in
            try TemporaryFolder.with { tmp in
                var options = DiffOptions(a: paths[0], b: paths[1])
                options.later = Array(paths[2...])
                options.labels = Self.labels
                options.views = [.raw, .positionMean]
                options.out = tmp.appendingPathComponent("site").path
                let result = try DiffBuild.run(options)
                #expect(result.series?.pairs.count == 4)
                let site = tmp.appendingPathComponent("site")
                let index = try String(contentsOf: site.appendingPathComponent("index.html"), encoding: .utf8)
                // Every cell of both views' CKA maps: low exactly at layer 1 of versions 4 and 5.
                for row in 2...5 {
                    for layer in 0...2 {
                        let prefix = "version (against 1) \(row), layer \(layer): "
                        let cells = index.components(separatedBy: prefix).dropFirst().map { String($0.prefix(5)) }
                        #expect(cells.count == 4, "\(prefix)")   // 2 views x (linear, debiased)
                        for cell in cells {
                            let value = try #require(Double(cell))
                            if row >= 4 && layer == 1 { #expect(value < 0.6, "\(prefix)\(cell)") } else { #expect(value == 1, "\(prefix)\(cell)") }
                        }
                    }
                }
                #expect(!index.contains("<b>two</b>") && index.contains("&lt;b&gt;two&lt;/b&gt;") && index.contains("three&quot;"))
                for page in ["layers/0.html", "layers/1.html", "layers/2.html", "pairs/1-2/index.html", "pairs/1-5/layers/1.html"] {
                    #expect(FileManager.default.fileExists(atPath: site.appendingPathComponent(page).path), "\(page)")
                }

                let json = try JSONSerialization.jsonObject(with: Data(contentsOf: site.appendingPathComponent("diff.json"))) as! [String: Any]
                #expect(json["against"] as? String == "first")
                let versions = try #require(json["versions"] as? [[String: Any]])
                #expect(versions.map { $0["label"] as? String } == Self.labels)
                let pairs = try #require(json["pairs"] as? [[String: Any]])
                #expect(pairs.map { $0["site"] as? String } == ["pairs/1-2/", "pairs/1-3/", "pairs/1-4/", "pairs/1-5/"])
                for (i, pair) in pairs.enumerated() {
                    let layers = try #require(pair["layers"] as? [[String: Any]])
                    for (slice, layer) in layers.enumerated() {
                        let raw = try #require((layer["views"] as? [String: [String: Any]])?["raw"])
                        let cka = try #require(raw["cka"] as? Double)
                        #expect((i + 1 >= 3 && slice == 1) ? cka < 0.6 : abs(cka - 1) < 1e-9, "pair \(i) layer \(slice): \(cka)")
                        for key in ["cka_debiased", "cka_null_mean", "cka_null_p95", "mutual_knn"] { #expect(raw[key] is Double, "\(key)") }
                    }
                }
                // The first pair's own diff.json is the top level's, less the series' keys.
                let first = try JSONSerialization.jsonObject(with: Data(contentsOf: site.appendingPathComponent("pairs/1-2/diff.json"))) as! [String: Any]
                #expect(Set(first.keys) == Set(json.keys).subtracting(["against", "versions", "pairs"]))
            }
        }
    }

    /// A two-run diff.json has none of the series' keys, and every view of every layer has the
    /// calibration's four.
    @Test func twoRunDiffJSONOnlyGainsTheCalibration() throws {
        try TemporaryFolder.with { tmp in
            var options = DiffOptions(a: Fixtures.run("synthetic").path, b: Fixtures.run("synthetic-b").path)
            options.views = [.raw]
            options.out = tmp.appendingPathComponent("site").path
            _ = try DiffBuild.run(options)
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: tmp.appendingPathComponent("site/diff.json"))) as! [String: Any]
            #expect(json["versions"] == nil && json["pairs"] == nil && json["against"] == nil)
            let raw = try #require(((json["layers"] as? [[String: Any]])?.first?["views"] as? [String: [String: Any]])?["raw"])
            #expect(Set(raw.keys) == ["cka", "cka_debiased", "cka_null_mean", "cka_null_p95", "mutual_knn", "tokens",
                                      "neighbour_change_mean", "neighbour_tokens", "moved"])
        }
    }
}
