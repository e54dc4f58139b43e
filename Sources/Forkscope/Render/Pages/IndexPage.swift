/// The front page (`index.mustache`): the run's facts, the branch tree, the verdict, the
/// attribution ladder, the layer sweep and a table of every layer.
struct IndexPage: Sendable {
    struct TreeEntry: Sendable {
        var depth: Int
        var label: String
        var id: String
        var tokens: Int
        var color: String
        var href: String
        var fork: Bool
        var forkAt: Int?
        var parentLabel: String?
        var forkToken: String?
    }

    struct LayerRow: Sendable {
        struct Cell: Sendable { var probe: String, purity: String }
        var layer: Int
        var href: String
        var dataHref: String
        var massive: String
        var views: [Cell]
    }

    /// Where clusters form (`FlowDiagram`), for the recommended view or else the raw one.
    struct Flow: Sendable {
        var title: String
        var name: String
        var layers: String
        var svg: String
        var key: [Key]
        struct Key: Sendable { var label: String, colour: String }
    }

    struct SweepChart: Sendable {
        var label: String
        var help: String
        var svg: String
    }

    /// The attribution ladder (`Attribution`): a chart of the content measure per rung against
    /// layer, and a table of each rung's content and position measures per layer.
    struct Ladder: Sendable {
        struct Rung: Sendable { var step: String, title: String, name: String, color: String }
        struct Cell: Sendable { var content: String, probe: String, knn: String, control: String }
        struct Row: Sendable { var layer: Int, href: String, cells: [Cell] }
        var contentLabel: String
        /// What the content measure groups by: "root prompt" or "branch", and its plural.
        var unit: String
        var units: String
        var rungs: [Rung]
        var rows: [Row]
        var chart: String
    }

    var branches: [TreeEntry]
    var positionalEncoding: String
    var hiddenSize: Int
    var tokenCount: Int
    var branchCount: Int
    var rootCount: Int
    var layerCount: Int
    var variants: String?
    var viewHeaders: [ViewHeader]
    var layers: [LayerRow]
    var verdict: String
    var ladder: Ladder?
    var sweep: [SweepChart]
    var flow: Flow?
    var hasWarnings: Bool
    var warnings: [String]
    var commentary: String?

    static func make(_ site: SiteRenderer) -> Page<IndexPage> {
        let run = site.run, shown = site.shown, paths = site.paths
        var tree = [TreeEntry]()
        func visit(_ b: Int, depth: Int) {
            let branch = run.branches[b]
            let fork = branch.parent.flatMap { p in branch.forkAt.map { (p, $0) } }
            tree.append(TreeEntry(depth: depth, label: shown.labels[b], id: shown.ids[b], tokens: branch.tokens.count,
                                  color: BranchStyle.forBranch(b).color, href: paths.branchPage(b, layer: site.defaultLayer),
                                  fork: fork != nil, forkAt: fork?.1, parentLabel: fork.map { shown.labels[$0.0] },
                                  forkToken: fork.map { TokenText.visible(run.branches[$0.0].tokens[$0.1 - 1]) }))
            for child in run.children[b] { visit(child, depth: depth + 1) }
        }
        for r in run.roots { visit(r, depth: 0) }
        let page = IndexPage(
            branches: tree,
            positionalEncoding: run.model.positionalEncoding.map(TokenText.visible) ?? "not stated",
            hiddenSize: run.hiddenSize, tokenCount: run.tokenCount, branchCount: run.branches.count, rootCount: run.roots.count,
            layerCount: run.layers.count,
            variants: run.variants.isEmpty ? nil : run.variants.map(\.name).joined(separator: ", "),
            viewHeaders: site.viewHeaders,
            layers: site.analyses.map { a in
                LayerRow(layer: a.layer, href: paths.layerPage(a.layer), dataHref: paths.layerData(a.layer),
                         massive: a.massive.isEmpty ? "" : "\(a.massive.count)",
                         views: a.views.map { LayerRow.Cell(probe: NumberFormat.share($0.measures[.positionProbe]),
                                                            purity: NumberFormat.share($0.measures[.rootKnnPurity])) })
            },
            verdict: site.report.verdict,
            ladder: ladder(site),
            sweep: sweepCharts(site),
            flow: flow(site),
            hasWarnings: !site.report.warnings.isEmpty,
            warnings: site.report.warnings,
            commentary: site.commentary.index.map(Markdown.html))
        return Page(frame: site.frame("index.html", title: shown.title), body: page)
    }

    static func ladder(_ site: SiteRenderer) -> Ladder? {
        let layers = site.report.layers.compactMap { l in l.attribution.map { (l, $0) } }
        guard let first = layers.first?.1 else { return nil }
        let content = Measure.catalogue.first { $0.id.rawValue == first.content_measure }
        let steps = ["raw": "Raw (massive tokens out)", "rogue_dimensions": "+ rogue dimensions neutralised (z-scored)",
                     "position": "+ position removed linearly"]
        let rungs = first.rungs.enumerated().map { i, r in
            Ladder.Rung(step: r.step, title: steps[r.step] ?? r.step, name: r.view, color: ViewPalette.color(i))
        }
        let series = first.rungs.indices.map { i in
            LineChart.Series(label: "\(rungs[i].title) (\(rungs[i].name))", color: rungs[i].color,
                             values: layers.map { $0.1.rungs.indices.contains(i) ? $0.1.rungs[i].content : nil })
        }
        let label = content?.label ?? first.content_measure
        let unit = VerdictText.unit(Measure.ID(rawValue: first.content_measure))
        var chart = LineChart(title: "\(label) at each rung of the ladder", xLabels: layers.map { "\($0.0.layer)" }, series: series)
        chart.classes = "sweep ladder"
        chart.lineMeaning = "rung"
        return Ladder(
            contentLabel: label, unit: unit.one, units: unit.many,
            rungs: rungs,
            rows: layers.map { l, a in
                Ladder.Row(layer: l.layer, href: l.page, cells: a.rungs.map {
                    Ladder.Cell(content: NumberFormat.share($0.content), probe: NumberFormat.share($0.position_probe),
                                knn: NumberFormat.share($0.position_knn_r2), control: NumberFormat.share($0.position_knn_r2_control))
                })
            },
            chart: chart.svg())
    }

    /// At most this many layers are columns of the flow diagram (evenly spread, first and last kept).
    static let flowColumns = 16

    static func flow(_ site: SiteRenderer) -> Flow? {
        let view = ClusterSection.shownViews(site).last!.0
        let clustered = site.analyses.compactMap { a in a.views.first { $0.view == view }?.clusters.map { (a.layer, $0) } }
        guard !clustered.isEmpty else { return nil }
        let n = clustered.count, m = min(n, flowColumns)
        let picked = m <= 1 ? [0] : (0..<m).map { $0 * (n - 1) / (m - 1) }
        let columns = picked.map { i -> FlowDiagram.Column in
            let (layer, c) = clustered[i]
            return FlowDiagram.Column(layer: layer, labels: c.labelOfToken, groups: c.groups.map { g in
                (g.id, g.size, g.kind, g.topTokens.prefix(3).map { TokenText.visible($0.text) }.joined(separator: " · "))
            })
        }
        let layers = columns.map { "\($0.layer)" }
        return Flow(title: view.title, name: view.name, layers: VerdictText.list(layers),
                    svg: FlowDiagram(label: "Clusters of \(view.name) across layers", columns: columns).svg(),
                    key: ClusterGroup.Kind.allCases.map { Flow.Key(label: $0.rawValue, colour: FlowDiagram.colour($0)) })
    }

    /// The layer sweep: a chart per measure against layer, a line per view, dashed chance lines.
    static func sweepCharts(_ site: SiteRenderer) -> [SweepChart] {
        let analyses = site.analyses
        let views = analyses.first?.views.map(\.view) ?? []
        let labels = analyses.map { "\($0.layer)" }
        func values(_ view: View, _ id: Measure.ID) -> [Double?] {
            analyses.map { a in a.views.first { $0.view == view }.flatMap { $0.measures[id] } }
        }
        return site.shownMeasures.map { measure in
            var series = views.enumerated().map { i, view in
                LineChart.Series(label: view.title, color: ViewPalette.color(i), values: values(view, measure.id))
            }
            if let chance = measure.chance {
                series.append(LineChart.Series(label: "\(measure.chanceName) (raw)", color: "#888888", values: values(.raw, chance), dashed: true))
            }
            let chart = LineChart(title: measure.label, xLabels: labels, series: series, floor: measure.range)
            return SweepChart(label: measure.label, help: measure.help, svg: chart.svg())
        }
    }
}
