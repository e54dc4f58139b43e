import Foundation
import ForkscopeNumerics

/// Renders a built run into the site's files: the index, one page per layer and one per branch
/// and layer (each from its typed page model: `IndexPage`, `LayerPage`, `BranchPage`), the
/// stylesheets, the per-layer CSVs and report.json. Pure: everything it shows comes in as
/// arguments, and untrusted text is escaped by Mustache (`{{…}}`) or `Escape.html`; only our own
/// SVG and libcmark's HTML go in unescaped.
public struct SiteRenderer: Sendable {
    let run: ActivationRun
    let analyses: [LayerAnalysis]
    /// What the build found, as report.json gives it (the pipeline builds it).
    let report: Report
    let commentary: Commentary
    let theme: Theme
    let paths: SitePaths
    let options: LayerAnalysis.Options
    /// Run text as pages show it.
    let shown: ShownText
    /// Each run token's branch and its index in that branch.
    let tokenPlaces: [(branch: Int, index: Int)]

    public init(run: ActivationRun, analyses: [LayerAnalysis], report: Report, options: LayerAnalysis.Options = .init(),
                commentary: Commentary, theme: Theme) {
        self.run = run
        self.analyses = analyses
        self.report = report
        self.options = options
        self.commentary = commentary
        self.theme = theme
        self.paths = SitePaths(run: run)
        self.shown = ShownText(run)
        let offsets = run.branchOffsets
        self.tokenPlaces = run.tokenBranch.enumerated().map { t, b in (b, t - offsets[b]) }
    }

    /// Every page, the stylesheets, the per-layer CSVs and report.json, rendered on `threads`
    /// threads; the files come out in the same order whatever the thread count.
    public func files(threads: Int = 1) throws -> [SiteFile] {
        try Self.render(plan(), threads: threads)
    }

    /// The files of `plan`, rendered on `threads` threads, in its order.
    public static func render(_ plan: [PlannedFile], threads: Int) throws -> [SiteFile] {
        try ParallelChunks.map(chunks: plan.count, threads: threads) { try plan[$0].rendered() }
    }

    /// Every file of the site, not yet rendered: the index, the stylesheets and the explorer, then
    /// each layer's page, CSV, branch pages and cluster pages, then report.json. Each says which
    /// commentary it shows (`PlannedFile.commentary`), its only input beyond what every page shares.
    public func plan() -> [PlannedFile] {
        var files = [PlannedFile(path: "index.html", commentary: commentary.index) { theme.render("index", IndexPage.make(self)) },
                     PlannedFile(path: "style.css") { theme.stylesheet },
                     PlannedFile(path: ExploreData.script) { theme.script },
                     PlannedFile(path: BranchHighlight.file) { BranchHighlight.stylesheet(branches: run.branches.count) }]
        let clusterViews = ClusterSection.shownViews(self)
        for a in analyses {
            files.append(PlannedFile(path: paths.layerPage(a.layer), commentary: commentary.layers[a.layer]) {
                theme.render("layer", LayerPage.make(self, a))
            })
            files.append(PlannedFile(path: paths.layerData(a.layer)) { LayerTable.csv(run: run, analysis: a) })
            for b in run.branches.indices {
                files.append(PlannedFile(path: paths.branchPage(b, layer: a.layer), commentary: commentary.branches[run.branches[b].id]) {
                    theme.render("branch", BranchPage.make(self, b, a))
                })
            }
            for (view, _) in clusterViews {
                guard let c = a.views.first(where: { $0.view == view })?.clusters else { continue }
                files.append(PlannedFile(path: paths.clusterPage(a.layer, view: view)) {
                    theme.render("clusters", ClusterPage.make(self, a, view: view, clusters: c))
                })
            }
        }
        let report = self.report
        files.append(PlannedFile(path: "report.json", data: { try ContractJSON.data(report) }))
        return files
    }

    /// The layer a branch link from the index points at: the middle of the stack, where content
    /// usually shows best.
    var defaultLayer: Int { analyses[analyses.count / 2].layer }

    /// The frame of a page at `path`.
    func frame(_ path: String, title: String, highlight: Bool = false) -> PageFrame {
        PageFrame(root: SitePaths.root(from: path), pageTitle: title, runTitle: shown.title, modelName: shown.modelName,
                  modelVersion: shown.modelVersion, dataFile: "report.json", highlightCSS: highlight ? BranchHighlight.file : nil)
    }

    /// The views in the order every page lists them.
    var viewHeaders: [ViewHeader] {
        (analyses.first?.views ?? []).enumerated().map { i, v in
            ViewHeader(title: v.view.title, name: v.view.name, summary: v.view.summary, color: ViewPalette.color(i))
        }
    }

    func layerLinks(current: Int, href: (Int) -> String) -> [LayerLink] {
        run.layers.map { LayerLink(layer: $0, href: href($0), current: $0 == current) }
    }

    /// The measures this build has values for (UMAP's only when UMAP ran), as pages list them.
    var shownMeasures: [Measure] {
        Measure.catalogue.filter { m in m.shown && analyses.contains { $0.views.contains { $0.measures[m.id] != nil } } }
    }

    /// A branch as a plot names it: "label (id)", or the id alone when the label is the same.
    static func branchName(_ b: Int, _ shown: ShownText) -> String {
        shown.labels[b] == shown.ids[b] ? shown.ids[b] : "\(shown.labels[b]) (\(shown.ids[b]))"
    }

    /// A scatter plot of a layout: a series per branch (named once, in its line's tooltip; a
    /// marker's tooltip gives the branch id, the position and the token), a child's trajectory starting from the
    /// parent token it forks after (when that token is in the layout).
    /// - Parameters:
    ///   - from: where each token lies in another layout on the same axes: drawn as lines to it
    ///     instead of the trajectories (the diff's moves).
    ///   - note: more for a token's tooltip.
    static func scatter(run: ActivationRun, shown: ShownText, _ layout: Layout, massive: Set<Int>, label: String,
                        xLabel: String, yLabel: String, from: [Point?]? = nil, note: (Int) -> String? = { _ in nil }) -> ScatterPlot {
        let offsets = run.branchOffsets
        let series = run.branches.indices.map { b -> ScatterPlot.Series in
            let branch = run.branches[b]
            var markers = [ScatterPlot.Marker]()
            for j in branch.tokens.indices {
                guard let point = layout.points[offsets[b] + j] else { continue }
                let t = offsets[b] + j
                var tooltip = "\(shown.ids[b]) · position \(branch.positions[j]) · \(TokenText.visible(branch.tokens[j]))"
                if massive.contains(t) {
                    tooltip += " · massive activation, drawn at the edge; at (\(NumberFormat.figure(point.x)), \(NumberFormat.figure(point.y)))"
                }
                if let extra = note(t) { tooltip += " · " + extra }
                markers.append(ScatterPlot.Marker(point: point, tooltip: tooltip, isRootStart: branch.parent == nil && j == 0,
                                                  isMassive: massive.contains(t), from: from?[t]))
            }
            let start = run.forkToken(of: b).flatMap { layout.points[$0] }
            return ScatterPlot.Series(branch: b, style: .forBranch(b), start: start, markers: markers,
                                      name: branchName(b, shown), trajectory: from == nil)
        }
        return ScatterPlot(label: label, xLabel: xLabel, yLabel: yLabel, series: series)
    }
}
