import Foundation
import Testing
import ForkscopeTestSupport
@testable import Forkscope

/// `--umap-views`: which views are laid out, and that the recommended view's layout made after the
/// layers are analysed (`auto`) is the one a build laying out every view makes.
@Suite("UMAP views")
struct UMAPViewsTests {
    typealias Kit = SiteTestKit

    @Test("parsing: auto, all, a list of views; anything else is refused")
    func parsing() {
        #expect(UMAPViews("auto") == .auto && UMAPViews("all") == .all)
        #expect(UMAPViews("raw,leace+z") == .listed([.raw, View(.leace, standardized: true)]))
        for bad in ["", "raw,", "raw,nonsense", "everything"] { #expect(UMAPViews(bad) == nil, "\(bad)") }
        #expect(UMAPViews("raw,leace+z")?.description == "raw,leace+z")
    }

    /// Each layer's CSV columns of a view's UMAP.
    static func umapColumns(_ site: URL, layer: Int, view: String) throws -> [String] {
        let lines = try Kit.text(site.appendingPathComponent("layers/\(layer).csv")).split(separator: "\n").map(String.init)
        let header = lines[0].split(separator: ",").map(String.init)
        guard let a = header.firstIndex(of: "\(view)_umap1"), let b = header.firstIndex(of: "\(view)_umap2") else { return [] }
        // Coordinates are numbers (never quoted), before the token column: split the prefix.
        return lines.dropFirst().map { line in
            let cells = line.split(separator: ",", omittingEmptySubsequences: false)
            return "\(cells[a]),\(cells[b])"
        }
    }

    @Test("auto lays out raw and the recommended view, with the layouts and trustworthiness that all gives them")
    func autoEqualsAll() throws {
        try TemporaryFolder.with { tmp in
            var options = BuildOptions(run: Fixtures.topicsMini, out: tmp.appendingPathComponent("auto").path)
            _ = try Build.run(options)
            options.out = tmp.appendingPathComponent("all").path
            options.analysis.umapViews = .all
            _ = try Build.run(options)
            let auto = try Report.read(at: tmp.appendingPathComponent("auto").path)
            let all = try Report.read(at: tmp.appendingPathComponent("all").path)
            let recommended = try #require(auto.recommended_view)
            #expect(recommended != "raw" && all.recommended_view == recommended)
            #expect(auto.settings.umap?.views == ["raw", recommended] && auto.settings.umap?.view_selection == "auto")
            #expect(all.settings.umap?.views == all.settings.views && all.settings.umap?.view_selection == "all")
            for (a, b) in zip(auto.layers, all.layers) {
                for view in all.settings.views {
                    let laidOut = view == "raw" || view == recommended
                    let trust = ProjectionKind.umap.trustworthinessMeasure
                    let ma = try #require(a.views[view]?.measures), mb = try #require(b.views[view]?.measures)
                    #expect(mb[trust] != nil && ma[trust] == (laidOut ? mb[trust] : nil), "layer \(a.layer) \(view)")
                    let columns = try Self.umapColumns(tmp.appendingPathComponent("auto"), layer: a.layer, view: view)
                    if laidOut {
                        #expect(!columns.isEmpty)
                        #expect(columns == (try Self.umapColumns(tmp.appendingPathComponent("all"), layer: a.layer, view: view)),
                                "layer \(a.layer) \(view): coordinates")
                    } else {
                        #expect(columns.isEmpty, "layer \(a.layer) \(view)")
                    }
                }
            }
        }
    }

    @Test("a list lays out those views only")
    func listed() throws {
        try TemporaryFolder.with { tmp in
            var options = BuildOptions(run: Fixtures.topicsMini, out: tmp.path + "/site")
            options.analysis.umapViews = .listed([View(.leace, standardized: true), .positionMean])
            _ = try Build.run(options)
            let report = try Report.read(at: tmp.path + "/site")
            #expect(report.settings.umap?.views == ["position_mean", "leace+z"])
            let html = try Kit.text(tmp.appendingPathComponent("site/layers/\(report.layers[0].layer).html"))
            #expect(html.contains("UMAP is drawn for position_mean and leace+z"))
        }
    }
}
