import ForkscopeNumerics

/// A diff site's page for one pair of layers (`diff-layer.mustache`): per view A's PCA, B's turned
/// onto it and B's points with a line from each token's place in A, the tokens whose
/// neighbourhoods changed most, and every measure of A and B.
struct DiffLayerPage: Sendable {
    struct ViewDiff: Sendable {
        var title: String
        var name: String
        var cka: String
        var calibration: Calibration
        var tokens: Int
        var svgA: String
        var svgB: String
        var svgMoves: String
        var meanChange: String
        var neighbourTokens: Int
        var sampled: Bool
        var open: Bool
        var branches: [BranchChange]
    }
    struct BranchChange: Sendable {
        struct Token: Sendable { var index: Int, position: Int, token: String, change: String }
        var label: String
        var id: String
        var color: String
        var change: String
        var tokens: [Token]
    }

    var label: String
    var layerLinks: [LayerLink]
    var commentary: String?
    var views: [ViewDiff]
    var changes: [ChangeRow]
    var legend: [LegendEntry]

    static func make(_ r: DiffRenderer, _ diff: RunDiff, _ index: Int) -> Page<DiffLayerPage> {
        let shown = ShownText(diff.runA), run = diff.runA, titles = r.titles
        let layer = diff.layers[index]
        let path = DiffRenderer.layerPage(layer.layerA)
        let root = SitePaths.root(from: path)
        let label = layer.layerA == layer.layerB ? "Layer \(layer.layerA)" : "Layer \(layer.layerA) of A, \(layer.layerB) of B"
        // Each side's massive tokens, by A's run token index.
        let bToA = Dictionary(diff.pairing.tokens.map { ($0.b, $0.a) }, uniquingKeysWith: { a, _ in a })
        let massiveA = Set(diff.analysesA[index].massive.map(\.token))
        let massiveB = Set(diff.analysesB[index].massive.compactMap { bToA[$0.token] })
        let budget = ScatterPlot.Budget.page(plots: 3 * layer.entries.filter { $0.pcaA != nil }.count)
        let views = layer.entries.enumerated().compactMap { i, e -> ViewDiff? in
            guard let pcaA = e.pcaA, let pcaB = e.pcaB else { return nil }
            func draw(_ p: Layout, _ side: String, massive: Set<Int>, from: [Point?]? = nil, id: String) -> String {
                var plot = SiteRenderer.scatter(
                    run: run, shown: shown, p, massive: massive,
                    label: "\(e.view.title), \(label): \(side)", xLabel: "PC1", yLabel: "PC2", from: from,
                    note: { t in e.neighbourChange[t].map { "neighbours changed \(NumberFormat.share($0))" } })
                plot.budget = budget
                plot.idPrefix = "\(id)\(i)"
                let drawing = plot.draw()
                return drawing.svg + (drawing.outsideNote.map { "<p class=\"caption outside\">\(Escape.html($0)).</p>" } ?? "")
            }
            // Lines only for the compared tokens: a massive token's far place would stretch the axes.
            var from = [Point?](repeating: nil, count: run.tokenCount)
            for t in e.compared { from[t] = pcaA.points[t] }
            let moved = e.mostMoved(in: run)
            let offsets = run.branchOffsets
            func mean(_ values: [Double]) -> Double? { values.isEmpty ? nil : values.reduce(0, +) / Double(values.count) }
            let branches = run.branches.indices.compactMap { b -> (Int, Double)? in
                mean((offsets[b]..<offsets[b] + run.branches[b].tokens.count).compactMap { e.neighbourChange[$0] }).map { (b, $0) }
            }.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
            return ViewDiff(
                title: e.view.title, name: e.view.name, cka: e.cka.map { String(format: "%.3f", $0) } ?? "—", calibration: Calibration(e),
                tokens: e.tokens,
                svgA: draw(pcaA, "PCA of A", massive: massiveA, id: "a"),
                svgB: draw(pcaB, "PCA of B turned onto A's", massive: massiveB, id: "b"),
                svgMoves: draw(pcaB, "B, a line from each token's place in A", massive: massiveB, from: from, id: "m"),
                meanChange: NumberFormat.share(mean(e.neighbourChange.compactMap { $0 })),
                neighbourTokens: e.neighbourTokens, sampled: e.neighbourTokens < e.tokens,
                open: e.view == .raw || e.view == diff.contentView?.view,
                branches: branches.map { b, change in
                    BranchChange(label: shown.labels[b], id: shown.ids[b], color: BranchStyle.forBranch(b).color,
                                 change: NumberFormat.share(change), tokens: moved[b].map { t in
                                     let j = t - offsets[b]
                                     return BranchChange.Token(index: j, position: run.branches[b].positions[j],
                                                               token: TokenText.visible(run.branches[b].tokens[j]),
                                                               change: NumberFormat.share(e.neighbourChange[t]))
                                 })
                })
        }
        let page = DiffLayerPage(
            label: label,
            layerLinks: diff.layers.map { LayerLink(layer: $0.layerA, href: root + DiffRenderer.layerPage($0.layerA), current: $0.layerA == layer.layerA) },
            commentary: r.commentary.layers[layer.layerA].map(Markdown.html),
            views: views,
            changes: r.changeRows(r.measures.rows.filter { $0.layerA == layer.layerA }, root: root, withLayer: false),
            legend: run.branches.indices.map { LegendEntry($0, shown: shown) })
        return Page(frame: r.frame(path, title: "\(label) · \(titles.a) ⇄ \(titles.b)", highlight: true), body: page)
    }
}
