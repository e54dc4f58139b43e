import Foundation
import ForkscopeNumerics

/// A layer page's clusters (`layer.mustache`'s `section.clusters`): a row per view of what its
/// clusters agree with, and for the raw view and the recommended one the plot coloured by cluster
/// and a row per cluster: its size, label, positions, roots, top tokens and exemplars in context.
struct ClusterSection: Sendable {
    struct ViewRow: Sendable {
        var title: String, name: String
        var count: Int, noise: String
        var amiPosition: String, amiRoot: String, amiBranch: String, amiToken: String
        var ariPosition: String, ariRoot: String
    }

    struct Exemplar: Sendable { var href: String, before: String, token: String, after: String, position: Int }

    struct Row: Sendable {
        var id: String
        var swatch: String
        var size: Int
        var label: String
        var labelColour: String
        var positions: String
        /// The positions' histogram as a text sparkline (▁…█), with its counts in the title.
        var histogram: String
        var histogramCounts: String
        var roots: String
        var tokens: String
        var exemplars: [Exemplar]
        var href: String
    }

    struct ClusteredView: Sendable {
        var title: String, name: String, role: String
        var svgs: [String]
        var method: String
        var sweep: String
        var rows: [Row]
        var pageHref: String
    }

    var views: [ViewRow]
    var shown: [ClusteredView]
    var contentUnits: String

    /// The views the layer and cluster pages show in full: raw and the recommended one.
    static func shownViews(_ site: SiteRenderer) -> [(View, String)] {
        var shown = [(View.raw, "raw")]
        if let r = site.report.recommended_view.flatMap(View.init(name:)), r != .raw { shown.append((r, "recommended")) }
        return shown
    }

    static func make(_ site: SiteRenderer, _ a: LayerAnalysis, root: String) -> ClusterSection? {
        guard a.views.contains(where: { $0.clusters != nil }) else { return nil }
        let f = { (v: Double) in NumberFormat.fixed(v, decimals: 2) }
        let rows = a.views.compactMap { v -> ViewRow? in
            guard let c = v.clusters else { return nil }
            let g = c.agreement
            return ViewRow(title: v.view.title, name: v.view.name, count: c.count, noise: VerdictText.percent(c.noiseShare),
                           amiPosition: f(g.amiPosition), amiRoot: f(g.amiRoot), amiBranch: f(g.amiBranch), amiToken: f(g.amiToken),
                           ariPosition: f(g.ariPosition), ariRoot: f(g.ariRoot))
        }
        let shown = shownViews(site).compactMap { view, role -> ClusteredView? in
            guard let v = a.views.first(where: { $0.view == view }), let c = v.clusters else { return nil }
            let labels = c.labelOfToken
            let svgs = v.orderedLayouts.map { kind, layout -> String in
                let tokens = c.tokens.filter { layout.points[$0] != nil }
                return ClusterPlot(label: "\(view.title), layer \(a.layer): \(kind.title) coloured by cluster", caption: kind.title,
                                   points: tokens.map { layout.points[$0]! }, clusters: tokens.map { labels[$0]! }).svg()
            }
            let page = root + site.paths.clusterPage(a.layer, view: view)
            return ClusteredView(title: view.title, name: view.name, role: role, svgs: svgs, method: methodText(c), sweep: sweepText(c),
                                 rows: c.groups.map { row($0, site, a.layer, root: root, page: page) }, pageHref: page)
        }
        let unitsAreRoots = a.views.first { $0.clusters != nil }?.clusters?.unitsAreRoots ?? true
        return ClusterSection(views: rows, shown: shown, contentUnits: unitsAreRoots ? "root prompts" : "branches")
    }

    static func methodText(_ c: ViewClusters) -> String {
        switch c.method {
        case .hdbscan:
            let sample = c.sampled < c.tokens.count ? " (on an even sample of \(c.sampled) of the \(c.tokens.count) tokens; the others take their nearest's cluster)" : ""
            return "HDBSCAN, min_cluster_size \(c.parameter), min_samples \(c.minSamples ?? c.parameter)\(sample): \(c.count) cluster\(c.count == 1 ? "" : "s"), \(VerdictText.percent(c.noiseShare)) of \(c.tokens.count) tokens unclustered."
        case .kmeans:
            return "k-means, k = \(c.parameter) (k-means++ seeds, \(KMeans.defaultRestarts) restarts): \(c.count) clusters of \(c.tokens.count) tokens."
        }
    }

    /// "Clusters at min_cluster_size 6: 30, 9: 14, 12: 13 (this page), …": HDBSCAN's cliffs.
    static func sweepText(_ c: ViewClusters) -> String {
        guard c.method == .hdbscan, !c.sweep.isEmpty else { return "" }
        let parts = c.sweep.map { "\($0.minClusterSize) → \($0.count)" + ($0.minClusterSize == c.parameter ? " (shown)" : "") }
        return "Cluster count at neighbouring min_cluster_size: " + parts.joined(separator: ", ") + "."
    }

    static func row(_ g: ClusterGroup, _ site: SiteRenderer, _ layer: Int, root: String, page: String) -> Row {
        let blocks = Array("▁▂▃▄▅▆▇█")
        let top = max(1, g.histogram.max() ?? 1)
        let sparkline = String(g.histogram.map { $0 == 0 ? " " : blocks[min(7, ($0 * 8 - 1) / top)] })
        return Row(id: g.id < 0 ? "—" : String(g.id), swatch: ClusterPlot.colour(g.id), size: g.size, label: g.kind.rawValue,
                   labelColour: FlowDiagram.colour(g.kind),
                   positions: g.positionRange.lowerBound == g.positionRange.upperBound ? "\(g.positionRange.lowerBound)"
                       : "\(g.positionRange.lowerBound)–\(g.positionRange.upperBound)",
                   histogram: sparkline, histogramCounts: g.histogram.map(String.init).joined(separator: " "),
                   roots: g.roots.prefix(3).map { "\(TokenText.visible($0.name)) \(VerdictText.percent($0.share))" }.joined(separator: ", "),
                   tokens: g.topTokens.map { TokenText.visible($0.text) }.joined(separator: " · "),
                   exemplars: g.exemplars.map { exemplar($0, site, layer, root: root) },
                   href: page + "#c\(g.id < 0 ? "u" : String(g.id))")
    }

    /// A token in context, linked to its row in its branch's token table.
    static func exemplar(_ t: Int, _ site: SiteRenderer, _ layer: Int, root: String) -> Exemplar {
        let run = site.run, (b, j) = site.tokenPlaces[t]
        let context = run.context(branch: b, index: j, width: ClustersReport.contextWidth)
        return Exemplar(href: root + site.paths.branchPage(b, layer: layer) + "#t\(j)",
                        before: context.before.map(TokenText.visible).joined(), token: TokenText.visible(run.branches[b].tokens[j]),
                        after: context.after.map(TokenText.visible).joined(), position: run.branches[b].positions[j])
    }
}

/// Every token of one view's clusters at one layer, cluster by cluster, each with its context and
/// a link to its row in its branch's token table (`clusters.mustache`).
struct ClusterPage: Sendable {
    struct Group: Sendable {
        var anchor: String
        var title: String
        var label: String
        var labelColour: String
        var swatch: String
        var tokens: [ClusterSection.Exemplar]
    }

    var layer: Int
    var title: String
    var name: String
    var method: String
    var layerHref: String
    var groups: [Group]

    static func make(_ site: SiteRenderer, _ a: LayerAnalysis, view: View, clusters c: ViewClusters) -> Page<ClusterPage> {
        let path = site.paths.clusterPage(a.layer, view: view), root = SitePaths.root(from: path)
        var members = [Int: [Int]]()
        for (t, l) in zip(c.tokens, c.labels) { members[l, default: []].append(t) }
        let groups = c.groups.map { g in
            Group(anchor: g.id < 0 ? "cu" : "c\(g.id)", title: g.id < 0 ? "Unclustered" : "Cluster \(g.id)", label: g.kind.rawValue,
                  labelColour: FlowDiagram.colour(g.kind), swatch: ClusterPlot.colour(g.id),
                  tokens: (members[g.id] ?? []).map { ClusterSection.exemplar($0, site, a.layer, root: root) })
        }
        let page = ClusterPage(layer: a.layer, title: view.title, name: view.name, method: ClusterSection.methodText(c),
                               layerHref: root + site.paths.layerPage(a.layer), groups: groups)
        return Page(frame: site.frame(path, title: "Layer \(a.layer) clusters, \(view.name) · \(site.shown.title)"), body: page)
    }
}
