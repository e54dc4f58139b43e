import Foundation
import Testing
import ForkscopeTestSupport
@testable import Forkscope

/// The diff site (Sources/Forkscope/Render/DiffRenderer.swift) of the synthetic run against its
/// committed planted copy (layer 0 rotated and scaled, layer 1 shuffled, layer 2's continuation
/// tokens shifted along one axis): it must show exactly those changes.
@Suite("The diff site shows exactly the planted changes")
struct DiffRendererTests {
    typealias Kit = SiteTestKit

    static func withSite<T>(_ body: (URL) throws -> T) throws -> T {
        try TemporaryFolder.with { tmp in
            let site = tmp.appendingPathComponent("site")
            var options = DiffOptions(a: Fixtures.run("synthetic").path, b: Fixtures.run("synthetic-b").path)
            options.out = site.path
            // The base views only: z-scoring is not rotation invariant, so a +z view would see the
            // rotated layer as a change (RunDiffTests covers that).
            options.views = [.raw, .positionMean, View(.regress), View(.leace), View(.abtt)]
            _ = try DiffBuild.run(options)
            return try body(site)
        }
    }

    /// The CKA cells of the index's layer table, per layer label: (value, marked low).
    static func ckaTable(_ index: String) throws -> [String: [(String, Bool)]] {
        let table = try #require(Kit.between(index, "<table class=\"layers\">", "</table>"))
        var out = [String: [(String, Bool)]]()
        for row in table.components(separatedBy: "<tr><th><a href=\"").dropFirst() {
            let label = try #require(Kit.between(row, "\">", "</a>"))
            out[label] = row.components(separatedBy: "<td class=\"num").dropFirst().map { cell in
                (Kit.between(cell, ">", "</td>") ?? "", cell.hasPrefix(" low"))
            }
        }
        return out
    }

    @Test func indexMarksExactlyTheChangedLayers() throws {
        try Self.withSite { site in
            #expect(try Kit.htmlPages(site) == ["404.html", "index.html", "layers/0.html", "layers/1.html", "layers/2.html"])
            let index = try Kit.text(site.appendingPathComponent("index.html"))
            let table = try Self.ckaTable(index)
            // Views: raw, position_mean, regress, leace, abtt (no zero_pe: B has no variant).
            #expect(table["0"]?.map(\.0) == ["1.000", "1.000", "1.000", "1.000", "1.000"])
            #expect(table["0"]?.contains { $0.1 } == false)
            #expect(table["1"]?.allSatisfy { $0.1 } == true)         // shuffled: every view falls
            #expect(table["2"]?.first?.0 == "0.706" && table["2"]?.first?.1 == true)
            #expect(table["2"]?[1].0 == "1.000")                       // position_mean absorbs the shift
            // Two maps of 3 × 3 cells, the compared layers outlined.
            let maps = Kit.svgFragments(index).filter { $0.contains("class=\"heatmap\"") }
            #expect(maps.count == 2)
            for map in maps {
                #expect(Kit.count("<rect", in: Kit.between(map, "<g class=\"cells\">", "</g>") ?? "") == 9)
                #expect(Kit.count("<rect", in: Kit.between(map, "<g class=\"paired\">", "</g>") ?? "") == 3)
                #expect(Kit.xmlError(map) == nil)
            }
            #expect(!index.contains("Branches left out"))
        }
    }

    /// Layer 0 (rotated): no token changed neighbours in any view, and no measure moved but the
    /// position probe (which z-scores dimensions, so sees a rotation). Layer 1 (shuffled): every
    /// view lists moved tokens. Layer 2 (shifted): raw does, position_mean (CKA 1) does not.
    @Test func layerPagesListMovedTokensOnlyWhereTheStatesChanged() throws {
        try Self.withSite { site in
            func movedRows(_ layer: Int) throws -> [String: Int] {
                let page = try Kit.text(site.appendingPathComponent("layers/\(layer).html"))
                var out = [String: Int]()
                for section in page.components(separatedBy: "<section class=\"view-diff\">").dropFirst() {
                    let name = try #require(Kit.between(section, "<code>", "</code>"))
                    out[name] = Kit.count("<span class=\"moved-token\">", in: Kit.between(section, "<table class=\"moved\">", "</table>") ?? "")
                }
                return out
            }
            #expect(try movedRows(0) == ["raw": 0, "position_mean": 0, "regress": 0, "leace": 0, "abtt": 0])
            #expect(try movedRows(1).values.allSatisfy { $0 > 0 })
            let two = try movedRows(2)
            #expect(two["raw"]! > 0 && two["position_mean"] == 0)

            let zero = try Kit.text(site.appendingPathComponent("layers/0.html"))
            let measures = try #require(Kit.between(zero, "<table class=\"changes\">", "</table>"))
            for row in measures.components(separatedBy: "<tr class=\"").dropFirst() where !row.contains("<td>position_probe</td>") {
                #expect(row.hasPrefix("same") || row.hasPrefix("none"), "\(row.prefix(120))")
            }
            // Each view: A, B turned onto A, and the moves, all well-formed SVG.
            let plots = Kit.svgFragments(zero).filter { $0.contains("class=\"scatter") }
            #expect(plots.count == 15)
            for svg in plots { #expect(Kit.xmlError(svg) == nil) }
            #expect(plots.filter { $0.contains("<path class=\"moves\"") }.count == 5)
        }
    }

    @Test func diffJSONHoldsWhatThePagesShow() throws {
        try Self.withSite { site in
            let data = try Data(contentsOf: site.appendingPathComponent("diff.json"))
            let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            #expect(json["format"] as? String == "forkscope.diff/1")
            #expect(json["layer_pairing"] as? String == "index")
            #expect(json["content_view"] as? String == "position_mean")
            let layers = try #require(json["layers"] as? [[String: Any]])
            #expect(layers.map { $0["page"] as? String } == ["layers/0.html", "layers/1.html", "layers/2.html"])
            let raw = layers.map { (($0["views"] as? [String: Any])?["raw"] as? [String: Any]) }
            #expect(raw.map { $0?["moved"] as? [Any] }.map { $0?.isEmpty } == [true, false, false])
            let cka = raw.compactMap { $0?["cka"] as? Double }
            #expect(cka.count == 3 && abs(cka[0] - 1) < 1e-9 && cka[1] < 0.1)
            let maps = try #require(json["maps"] as? [[String: Any]])
            #expect(maps.map { $0["view"] as? String } == ["raw", "position_mean"])
            #expect((json["branches"] as? [String: Any])?["tokens"] as? Int == 149)
            #expect(!(json["measures"] as? [Any] ?? []).isEmpty)
        }
    }
}
