import Foundation
import ForkscopeNumerics

/// Renders the site of `forkscope diff V1 … Vn` (`SeriesDiff`): an index (the versions with each
/// one's recommended view and attribution, per view a version × layer heat map of CKA and one of
/// debiased CKA, each cell with its calibration; `SeriesIndexPage`), a page per layer with every
/// measure of every version as lines over versions (`SeriesLayerPage`), each compared pair as the
/// complete two-run diff site under `pairs/A-B/` (`DiffRenderer`, byte for byte what `forkscope
/// diff A B` writes), and diff.json (the first pair's keys, plus `versions`, `against`, `pairs`).
public struct SeriesRenderer: Sendable {
    let series: SeriesDiff
    let commentary: Commentary
    let theme: Theme
    let warnings: [Warning]

    public init(series: SeriesDiff, commentary: Commentary, theme: Theme, warnings: [Warning] = []) {
        self.series = series
        self.commentary = commentary
        self.theme = theme
        self.warnings = warnings
    }

    /// The folder of pair `i`'s own diff site (versions numbered from 1).
    static func pairFolder(_ series: SeriesDiff, _ i: Int) -> String { "pairs/\(series.bases[i] + 1)-\(i + 2)/" }
    static func layerPage(_ layer: Int) -> String { "layers/\(layer).html" }

    public func files() throws -> [SiteFile] {
        var files = [SiteFile(path: "index.html", text: theme.render("series", SeriesIndexPage.make(self))),
                     SiteFile(path: "style.css", text: theme.stylesheet)]
        for slice in series.runs[0].layers.indices {
            files.append(SiteFile(path: Self.layerPage(series.runs[0].layers[slice]), text: theme.render("series-layer", SeriesLayerPage.make(self, slice))))
        }
        for (i, pair) in series.pairs.enumerated() {
            let folder = Self.pairFolder(series, i)
            files += try DiffRenderer(diff: pair, commentary: Commentary(), theme: theme).files().map {
                SiteFile(path: folder + $0.path, contents: $0.contents)
            }
        }
        var report = DiffReport(.runs(series.pairs[0]), measures: series.pairs[0].measures, pages: { Self.pairFolder(series, 0) + DiffRenderer.layerPage($0) })
        report.addSeries(series, folder: { Self.pairFolder(series, $0) })
        files.append(SiteFile(path: DiffRenderer.dataFile, contents: try ContractJSON.data(report)))
        return files
    }

    var title: String { series.labels.map(TokenText.visible).joined(separator: " → ") }

    func frame(_ path: String, title: String) -> PageFrame {
        let names = Array(Set(series.runs.map(\.model.name))).sorted().map(TokenText.visible).joined(separator: ", ")
        return PageFrame(root: SitePaths.root(from: path), pageTitle: title, runTitle: self.title,
                         modelName: "\(names): \(series.runs.count) versions", dataFile: DiffRenderer.dataFile)
    }

    /// Version `v`'s own measures at the first version's layer `slice`, by (view, measure).
    func measures(version v: Int, slice: Int) -> [MeasureDiff.Row] {
        let pair = v == 0 ? series.pairs[0] : series.pairs[v - 1]
        let layer = pair.layers[slice].layerA
        return pair.measures.rows.filter { $0.layerA == layer }
    }

    /// Version `v`'s value in a row of `measures(version:slice:)`: A's for the first version, B's for the others.
    func value(_ row: MeasureDiff.Row, version v: Int) -> Double? { v == 0 ? row.a : row.b }
}
