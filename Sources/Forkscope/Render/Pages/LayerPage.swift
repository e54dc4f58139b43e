import Foundation
import ForkscopeNumerics

/// A layer's page (`layer.mustache`): a figure per view with a plot per layout, the view's
/// measures, the layer's massive tokens and the branch legend.
struct LayerPage: Sendable {
    struct Plot: Sendable {
        var title: String
        var name: String
        var summary: String
        var pc1: String
        var pc2: String
        var tokens: Int
        var fitTokens: Int
        /// A plot per layout, in `ProjectionKind` order.
        var layouts: [LayoutPlot]
        var measures: [MeasureRow]
        var dataHref: String
        var dataName: String
        /// Why the view has no UMAP layout where others at this layer have one.
        var umapNote: String?
    }

    struct LayoutPlot: Sendable {
        var svg: String
        var caption: String
        /// Tokens the view leaves out, where it does (under the PCA).
        var note: String?
        /// How the plot was thinned to the page's budget, if it was.
        var thinning: String?
        /// How many tokens lie beyond the plot's robust frame, if any.
        var outside: String?
    }

    struct MeasureRow: Sendable {
        var label: String
        var help: String
        var value: String
        var chance: String?
        /// "chance" or "control" (`Measure.chanceName`).
        var chanceName: String
    }

    /// A view's layouts coloured by position (`PositionPlot`): the raw view and the recommended one.
    struct PositionView: Sendable {
        var title: String
        var name: String
        var role: String
        var svgs: [String]
    }

    /// A view's PCA as small multiples, a plot per root prompt (`FacetGrid`).
    struct FacetView: Sendable {
        var title: String
        var name: String
        var role: String
        var facets: [FacetGrid.Facet]
        /// Root prompts beyond the grid's limit, in words.
        var omitted: String?
        var thinned: Bool
    }

    struct MassiveRow: Sendable {
        var branch: String
        var id: String
        var href: String
        var token: String
        var position: Int
        var ratio: String
        var dimensions: String
    }

    var layer: Int
    var layerLinks: [LayerLink]
    var dataHref: String
    var commentary: String?
    var positionViews: [PositionView]
    var plots: [Plot]
    var facetViews: [FacetView]
    var hasFacets: Bool
    var thinned: Bool
    var massiveExcluded: Bool
    var massive: [MassiveRow]
    var hasMassive: Bool
    var massiveShare: String
    /// The rogue dimensions in a sentence (`RogueDimensions`), where the mean cosine similarity is known.
    var rogue: String?
    var clusters: ClusterSection?
    var legend: [LegendEntry]
    /// The explorer's data block (`ExploreData`), escaped for a `<script type="application/json">`.
    var explorerData: String
    /// The explorer's script, relative to the page.
    var explorerScript: String

    static func make(_ site: SiteRenderer, _ a: LayerAnalysis) -> Page<LayerPage> {
        let run = site.run, paths = site.paths
        let path = paths.layerPage(a.layer)
        let root = SitePaths.root(from: path)
        // The page's plots share its budget of markers.
        let budget = ScatterPlot.Budget.page(plots: a.views.reduce(0) { $0 + $1.layouts.count })
        let massive = Set(a.massive.map(\.token))
        let measures = site.shownMeasures
        var thinned = false
        let someUMAP = a.views.contains { $0.layouts[.umap] != nil }
        var explored = [ExploreData.Plot]()
        let plots = a.views.enumerated().map { i, v -> Plot in
            let layouts = v.orderedLayouts.map { kind, layout -> LayoutPlot in
                var plot = scatter(site, v, kind, layout, layer: a.layer, massive: massive)
                plot.budget = budget
                plot.idPrefix = "\(kind.rawValue.prefix(1))\(i)"
                plot.plotID = "\(v.view.name)-\(kind.rawValue)"
                let drawing = plot.draw()
                if drawing.thinning != nil { thinned = true }
                explored.append(ExploreData.plot(plot, drawing, view: v, kind: kind, layout: layout))
                return LayoutPlot(svg: drawing.svg, caption: caption(site, v, kind, analysis: a), note: kind == .pca ? excluded(site, v) : nil,
                                  thinning: drawing.thinning?.summary, outside: drawing.outsideNote)
            }
            let variance = v.layouts[.pca]?.explainedVariance ?? []
            return Plot(
                title: v.view.title, name: v.view.name, summary: v.view.summary,
                pc1: NumberFormat.share(variance.first), pc2: NumberFormat.share(variance.dropFirst().first),
                tokens: v.measures.tokens, fitTokens: v.measures.fitTokens, layouts: layouts,
                measures: measures.map { m in
                    MeasureRow(label: m.label, help: m.help, value: NumberFormat.share(v.measures[m.id]),
                               chance: m.chance.flatMap { v.measures[$0] }.map(NumberFormat.share), chanceName: m.chanceName)
                },
                dataHref: root + paths.layerData(a.layer), dataName: (paths.layerData(a.layer) as NSString).lastPathComponent,
                umapNote: someUMAP && v.layouts[.umap] == nil && v.layouts[.pca]?.points.contains(where: { $0 != nil }) == true
                    ? "No UMAP for this view: UMAP is drawn for \(umapSelection(site.options.umapViews, views: a.views.map(\.view))) (forkscope build --umap-views all draws every view)." : nil)
        }
        let facets = facetViews(site, a, massive: massive)
        let page = LayerPage(
            layer: a.layer,
            layerLinks: site.layerLinks(current: a.layer) { root + paths.layerPage($0) },
            dataHref: root + paths.layerData(a.layer),
            commentary: site.commentary.layers[a.layer].map(Markdown.html),
            positionViews: positionViews(site, a, massive: massive),
            plots: plots,
            facetViews: facets,
            hasFacets: !facets.isEmpty,
            thinned: thinned,
            massiveExcluded: a.massiveExcluded,
            massive: a.massive.map { m in
                let b = run.tokenBranch[m.token], j = m.token - run.branchOffsets[b]
                return MassiveRow(branch: site.shown.labels[b], id: site.shown.ids[b], href: root + paths.branchPage(b, layer: a.layer),
                                  token: TokenText.visible(run.branches[b].tokens[j]), position: run.branches[b].positions[j],
                                  ratio: NumberFormat.figure(m.normRatio), dimensions: m.topDimensions.map(String.init).joined(separator: ", "))
            },
            hasMassive: !a.massive.isEmpty,
            massiveShare: NumberFormat.share(a.massiveVarianceShare),
            rogue: rogueSentence(a),
            clusters: ClusterSection.make(site, a, root: root),
            legend: run.branches.indices.map { LegendEntry($0, shown: site.shown, href: root + paths.branchPage($0, layer: a.layer)) },
            explorerData: ExploreData(site: site, analysis: a, root: root, plots: explored).json(),
            explorerScript: root + ExploreData.script)
        return Page(frame: site.frame(path, title: "Layer \(a.layer) · \(site.shown.title)", highlight: true), body: page)
    }

    /// The views `--umap-views` lays out, in words.
    static func umapSelection(_ selection: UMAPViews, views: [View]) -> String {
        switch selection {
        case .auto: return "the raw view and the recommended one"
        case .all: return "every view"
        case .listed(let listed): return VerdictText.list(views.filter(listed.contains).map(\.name))
        }
    }

    /// The raw view and the recommended one (if another and in the build), with their roles.
    static func pairedViews(_ site: SiteRenderer, _ a: LayerAnalysis) -> [(LayerAnalysis.ViewResult, String)] {
        let recommended = site.report.recommended_view.flatMap(View.init(name:))
        var shown = [(View.raw, "raw")]
        if let recommended, recommended != .raw { shown.append((recommended, "recommended")) }
        return shown.compactMap { view, role in a.views.first { $0.view == view }.map { ($0, role) } }
    }

    /// The raw view and the recommended one (if another), each layout coloured by position; massive
    /// tokens are left out, as from the fits.
    static func positionViews(_ site: SiteRenderer, _ a: LayerAnalysis, massive: Set<Int>) -> [PositionView] {
        let positions = site.run.tokenPositions
        let drawn = positions.indices.filter { !massive.contains($0) }.map { positions[$0] }
        let scale = (drawn.min() ?? 0)...(drawn.max() ?? 0)
        return pairedViews(site, a).map { v, role in
            let svgs = v.orderedLayouts.map { kind, layout -> String in
                let tokens = layout.points.indices.filter { layout.points[$0] != nil && !massive.contains($0) }
                return PositionPlot(label: "\(v.view.title), layer \(a.layer): \(kind.title) coloured by position", caption: kind.title,
                                    points: tokens.map { layout.points[$0]! }, positions: tokens.map { positions[$0] }, scale: scale).svg()
            }
            return PositionView(title: v.view.title, name: v.view.name, role: role, svgs: svgs)
        }
    }

    /// The raw view's and the recommended view's PCA, a small plot per root prompt; massive tokens
    /// are left out, as from the fits.
    static func facetViews(_ site: SiteRenderer, _ a: LayerAnalysis, massive: Set<Int>) -> [FacetView] {
        let groups = FacetGrid.groups(site.run, shown: site.shown)
        return pairedViews(site, a).enumerated().compactMap { i, pair in
            let (v, role) = pair
            guard let pca = v.layouts[.pca] else { return nil }
            let points = pca.points.indices.map { massive.contains($0) ? nil : pca.points[$0] }
            let grid = FacetGrid(label: "\(v.view.title), layer \(a.layer): PCA", idPrefix: "f\(i)", groups: groups, points: points,
                                 run: site.run, shown: site.shown)
            let omitted = groups.count - FacetGrid.limit
            return FacetView(title: v.view.title, name: v.view.name, role: role, facets: grid.facets(),
                             omitted: omitted > 0 ? "The run has \(groups.count) root prompts; the first \(FacetGrid.limit) are drawn, \(omitted) are not." : nil,
                             thinned: grid.thinned)
        }
    }

    /// "Dimensions 507 (48%) and 247 (41%) hold 89% of the mean cosine similarity (0.54) …".
    static func rogueSentence(_ a: LayerAnalysis) -> String? {
        guard let mean = a.meanCosine else { return nil }
        let similarity = "the mean cosine similarity between the fit tokens' raw states (\(NumberFormat.figure(mean)))"
        guard !a.rogueDimensions.isEmpty else {
            return "No \(RogueDimensions.limit) dimensions hold half of \(similarity): no rogue dimensions at this layer."
        }
        let named = a.rogueDimensions.map { "\($0.dimension) (\(NumberFormat.share($0.share)))" }
        let list = (named.count == 1 ? "Dimension " : "Dimensions ") + VerdictText.list(named)
        let total = a.rogueDimensions.reduce(0) { $0 + $1.share }
        return "\(list) hold \(NumberFormat.share(total)) of \(similarity): rogue dimensions (Timkey & van Schijndel, 2021), which the z-scored views (+z) neutralise."
    }

    /// The plot of one layout of a view: PCA draws every token the view covers, massive ones at the
    /// edge; UMAP only its fit tokens (massive ones are not in it).
    static func scatter(_ site: SiteRenderer, _ v: LayerAnalysis.ViewResult, _ kind: ProjectionKind, _ layout: Layout,
                        layer: Int, massive: Set<Int>) -> ScatterPlot {
        let title = "\(v.view.title), layer \(layer)"
        switch kind {
        case .pca:
            return SiteRenderer.scatter(run: site.run, shown: site.shown, layout, massive: massive,
                                        label: "\(title): PCA of \(v.measures.tokens) tokens",
                                        xLabel: "PC1 (\(NumberFormat.share(layout.explainedVariance.first)))",
                                        yLabel: "PC2 (\(NumberFormat.share(layout.explainedVariance.dropFirst().first)))")
        case .umap:
            return SiteRenderer.scatter(run: site.run, shown: site.shown, layout, massive: [],
                                        label: "\(title): UMAP of \(v.measures.fitTokens) tokens", xLabel: "UMAP 1", yLabel: "UMAP 2")
        }
    }

    static func caption(_ site: SiteRenderer, _ v: LayerAnalysis.ViewResult, _ kind: ProjectionKind, analysis a: LayerAnalysis) -> String {
        switch kind {
        case .pca:
            let variance = v.layouts[.pca]?.explainedVariance ?? []
            return "PCA of \(v.measures.fitTokens) of \(v.measures.tokens) tokens: PC1 \(NumberFormat.share(variance.first)), "
                + "PC2 \(NumberFormat.share(variance.dropFirst().first)) of the variance."
        case .umap:
            let o = site.options.umapOptions
            var text = "UMAP of \(v.measures.fitTokens) tokens (n_neighbors \(o.neighbours), min_dist \(o.minDist), "
                + "\(o.metric.rawValue), seed \(o.seed))"
            if let reference = LayerAnalysis.alignmentReference(a.views.map(\.view)), reference != v.view {
                text += ", rotated or reflected onto the \(reference.title) view's UMAP (orthogonal Procrustes on shared tokens)"
            }
            text += "."
            if o.initialisation == .spectral && v.layouts[.umap]?.initialisation == SpectralLayout.Outcome.random.rawValue {
                text += " The spectral initialisation failed to converge; UMAP started from random points."
            }
            return text
        }
    }

    /// Why some tokens are not in the view, where some are not.
    static func excluded(_ site: SiteRenderer, _ v: LayerAnalysis.ViewResult) -> String? {
        let excluded = site.run.tokenCount - v.measures.tokens
        return excluded == 0 ? nil
            : "\(excluded) token\(excluded == 1 ? " is" : "s are") not in this view: no other branch has a token the fit uses (not massive) at \(excluded == 1 ? "its position" : "their positions")."
    }
}

extension LayerPage.MeasureRow: TemplateFields {
    static let fields: [String: PartialKeyPath<Self> & Sendable] = ["label": \.label, "help": \.help, "value": \.value, "chance": \.chance,
                                                                    "chanceName": \.chanceName]
}
