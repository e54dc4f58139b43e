import Foundation
import ForkscopeNumerics

/// Renders `forkscope diff`'s site: an index (CKA against layer, the layer × layer maps, the
/// branches left out, the largest changes in the measures; `DiffIndexPage`), a page per pair of
/// layers (each view's PCA in A and B side by side with B turned onto A, the tokens that moved
/// most, every measure; `DiffLayerPage`) and diff.json. Pure, like `SiteRenderer`: untrusted text
/// is escaped by Mustache or `Escape.html`.
public struct DiffRenderer: Sendable {
    /// What was compared: two runs, or two built reports (their measures alone).
    public enum Source: Sendable {
        case runs(RunDiff)
        case reports(Report, Report)
    }

    let source: Source
    let measures: MeasureDiff
    let commentary: Commentary
    let theme: Theme
    let warnings: [Warning]

    /// Two runs.
    public init(diff: RunDiff, commentary: Commentary, theme: Theme, warnings: [Warning] = []) {
        self.init(.runs(diff), measures: diff.measures, commentary: commentary, theme: theme, warnings: warnings)
    }

    /// Two built reports: the measures alone.
    public init(reports a: Report, _ b: Report, commentary: Commentary, theme: Theme, warnings: [Warning] = []) {
        self.init(.reports(a, b), measures: MeasureDiff(a.layers, b.layers), commentary: commentary, theme: theme, warnings: warnings)
    }

    private init(_ source: Source, measures: MeasureDiff, commentary: Commentary, theme: Theme, warnings: [Warning]) {
        self.source = source
        self.measures = measures
        self.commentary = commentary
        self.theme = theme
        self.warnings = warnings
    }

    public static let dataFile = "diff.json"
    static func layerPage(_ layerA: Int) -> String { "layers/\(layerA).html" }

    /// The comparison of two runs; nil for two reports.
    var runs: RunDiff? {
        if case .runs(let diff) = source { return diff }
        return nil
    }

    public func files() throws -> [SiteFile] {
        var files = [SiteFile(path: "index.html", text: theme.render("diff", DiffIndexPage.make(self))),
                     SiteFile(path: "style.css", text: theme.stylesheet)]
        if let diff = runs {
            files.append(SiteFile(path: BranchHighlight.file, text: BranchHighlight.stylesheet(branches: diff.runA.branches.count)))
            for index in diff.layers.indices {
                files.append(SiteFile(path: Self.layerPage(diff.layers[index].layerA),
                                      text: theme.render("diff-layer", DiffLayerPage.make(self, diff, index))))
            }
        }
        files.append(SiteFile(path: Self.dataFile, contents: try ContractJSON.data(DiffReport(source, measures: measures, pages: Self.layerPage))))
        return files
    }

    var titles: (a: String, b: String) {
        switch source {
        case .runs(let diff): (TokenText.visible(diff.titleA), TokenText.visible(diff.titleB))
        case .reports(let a, let b): (TokenText.visible(a.run.title), TokenText.visible(b.run.title))
        }
    }

    func frame(_ path: String, title: String, highlight: Bool = false) -> PageFrame {
        var models = "measures of two reports"
        if let diff = runs {
            func model(_ run: ActivationRun) -> String {
                TokenText.visible(run.model.name) + (run.model.version.map { " (\(TokenText.visible($0)))" } ?? "")
            }
            models = "\(model(diff.runA)) → \(model(diff.runB))"
        }
        return PageFrame(root: SitePaths.root(from: path), pageTitle: title, runTitle: "\(titles.a) ⇄ \(titles.b)", modelName: models,
                         dataFile: Self.dataFile, highlightCSS: highlight ? BranchHighlight.file : nil)
    }

    /// Rows of a measures table: A, B, B − A and a mark for the direction of the change.
    func changeRows(_ rows: some Sequence<MeasureDiff.Row>, root: String, withLayer: Bool) -> [ChangeRow] {
        rows.map { row in
            let delta = row.delta
            return ChangeRow(view: row.view, measure: row.measure, a: NumberFormat.figure(row.a), b: NumberFormat.figure(row.b),
                             delta: delta.map { String(format: "%+.4f", $0) } ?? "—",
                             mark: delta.map { $0 > 5e-4 ? "▲" : $0 < -5e-4 ? "▼" : "=" } ?? "",
                             direction: delta.map { $0 > 5e-4 ? "up" : $0 < -5e-4 ? "down" : "same" } ?? "none",
                             layer: withLayer ? row.layerLabel : nil,
                             href: withLayer && runs != nil ? root + Self.layerPage(row.layerA) : nil)
        }
    }
}
