import Foundation
import ForkscopeNumerics

/// Renders `forkscope diff`'s site: an index (CKA against layer, the layer × layer maps, the
/// branches left out, the largest changes in the measures), a page per pair of layers (each view's
/// PCA in A and B side by side with B turned onto A, the tokens that moved most, every measure)
/// and diff.json. Pure, like `SiteRenderer`: untrusted text is escaped by Mustache or `Escape.html`.
public struct DiffRenderer {
    let diff: RunDiff?
    let measures: MeasureDiff
    /// The two report.json files, when reports were compared instead of runs.
    let reports: (a: [String: Any], b: [String: Any])?
    let commentary: Commentary
    let theme: Theme
    let warnings: [Warning]
    /// Run A's text as pages show it (runs only).
    let shown: ShownText?

    /// Two runs.
    public init(diff: RunDiff, commentary: Commentary, theme: Theme, warnings: [Warning] = []) {
        self.diff = diff
        self.measures = diff.measures
        self.reports = nil
        self.commentary = commentary
        self.theme = theme
        self.warnings = warnings
        self.shown = ShownText(diff.runA)
    }

    /// Two built reports: the measures alone.
    public init(reports a: [String: Any], _ b: [String: Any], commentary: Commentary, theme: Theme, warnings: [Warning] = []) {
        self.diff = nil
        self.measures = MeasureDiff(a, b)
        self.reports = (a, b)
        self.commentary = commentary
        self.theme = theme
        self.warnings = warnings
        self.shown = nil
    }

    public static let dataFile = "diff.json"
    static func layerPage(_ layerA: Int) -> String { "layers/\(layerA).html" }

    public func files() throws -> [SiteFile] {
        var files = [SiteFile(path: "index.html", text: indexPage()), SiteFile(path: "style.css", text: theme.stylesheet)]
        if let diff { files.append(SiteFile(path: BranchHighlight.file, text: BranchHighlight.stylesheet(branches: diff.runA.branches.count))) }
        for layer in diff?.layers.indices ?? 0..<0 {
            files.append(SiteFile(path: Self.layerPage(diff!.layers[layer].layerA), text: layerPage(layer)))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let report = DiffReport(diff, measures: measures, reports: reports, pages: Self.layerPage)
        files.append(SiteFile(path: Self.dataFile, contents: try encoder.encode(report) + Data("\n".utf8)))
        return files
    }

    // MARK: - Pages

    var titles: (a: String, b: String) {
        if let diff { return (TokenText.visible(diff.titleA), TokenText.visible(diff.titleB)) }
        func title(_ r: [String: Any]?) -> String { TokenText.visible((r?["run"] as? [String: Any])?["title"] as? String ?? "report") }
        return (title(reports?.a), title(reports?.b))
    }

    private func common(page path: String, title: String) -> [String: Any] {
        var models = "measures of two reports"
        if let diff {
            func model(_ run: ActivationRun) -> String {
                TokenText.visible(run.model.name) + (run.model.version.map { " (\(TokenText.visible($0)))" } ?? "")
            }
            models = "\(model(diff.runA)) → \(model(diff.runB))"
        }
        return ["root": SitePaths.root(from: path), "pageTitle": title, "runTitle": "\(titles.a) ⇄ \(titles.b)",
                "modelName": models, "generator": "forkscope \(Forkscope.version)", "dataFile": Self.dataFile]
    }

    func indexPage() -> String {
        var c = common(page: "index.html", title: "\(titles.a) ⇄ \(titles.b)")
        c["titleA"] = titles.a
        c["titleB"] = titles.b
        c["hasWarnings"] = !warnings.isEmpty
        c["warnings"] = warnings.map(\.description)
        c = c.setting("commentary", commentary.index.map(Markdown.html))
        // Token counts are not on the scale of the other measures (shares, R², silhouettes): they
        // are on the layer pages, not ranked here.
        let ranked = measures.rows.filter { !["tokens", "fit_tokens"].contains($0.measure) && ($0.delta ?? 0) != 0 }
            .sorted { abs($0.delta!) > abs($1.delta!) }
        c["changes"] = changeRows(ranked.prefix(30), root: "", withLayer: true)
        c["measureCount"] = measures.rows.count
        guard let diff else {
            c["reportsOnly"] = true
            return theme.render("diff", c)
        }
        c["runs"] = true
        c["compared"] = diff.pairing.branches.count
        c["tokens"] = diff.pairing.tokens.count
        c["hasMismatches"] = !diff.pairing.mismatches.isEmpty
        c["mismatches"] = diff.pairing.mismatches.map { ["branch": TokenText.visible($0.branch), "reason": TokenText.visible($0.reason)] }
        c["pairing"] = diff.pairing.layers.byDepth
            ? "The runs captured different numbers of layers, so each of A's layers is compared with B's nearest in relative depth (layer index ÷ the deepest captured)."
            : "Layers are compared in order."
        let views = diff.layers.first?.entries.map(\.view) ?? []
        c["viewHeaders"] = views.enumerated().map { i, v in ["title": v.title, "name": v.name, "color": ViewPalette.color(i)] }
        let labels = diff.layers.map(\.layerLabel)
        let chart = LineChart(title: "linear CKA of A and B against layer", xLabels: labels, series: views.enumerated().map { i, v in
            LineChart.Series(label: v.title, color: ViewPalette.color(i), values: diff.layers.map { $0.entries.first { $0.view == v }?.cka })
        })
        c["ckaChart"] = chart.svg()
        c["layers"] = zip(diff.layers, labels).map { layer, label -> [String: Any] in
            ["label": label, "href": Self.layerPage(layer.layerA),
             "views": layer.entries.map { e -> [String: Any] in
                 ["cka": e.cka.map { String(format: "%.3f", $0) } ?? "—", "low": (e.cka ?? 1) < 0.9]
             }]
        }
        let paired = Dictionary(diff.pairing.layers.pairs.map { ($0.a, $0.b) }, uniquingKeysWith: { a, _ in a })
        c["maps"] = diff.maps.map { m -> [String: Any] in
            let map = HeatMap(title: "\(m.view.title): linear CKA of every layer of A against every layer of B",
                              rowLabels: m.layersA.map(String.init), columnLabels: m.layersB.map(String.init), values: m.cka,
                              outlined: Set(paired.map { [$0.key, $0.value] }))
            return ["title": m.view.title, "name": m.view.name, "svg": map.svg(),
                    "caption": "Linear CKA on \(NumberFormat.count(m.tokens)) tokens"
                        + (m.tokens < m.candidates ? ", an even sample of the \(NumberFormat.count(m.candidates)) compared tokens that are never massive and that the view covers at every layer" : ": every compared token that is never massive and that the view covers at every layer")
                        + ". Outlined: the layers compared on their own pages."]
        }
        if let content = diff.contentView {
            c["contentView"] = "“\(content.view.title)” (\(content.view.name)) is the debiased view that shows content best in A: "
                + (content.nearChance ? "its position probe is near chance over the middle layers and its root kNN purity is the highest."
                                      : "no view brings the position probe near chance over the middle layers, and it comes closest.")
        }
        return theme.render("diff", c)
    }

    func layerPage(_ index: Int) -> String {
        let diff = diff!, shown = shown!, run = diff.runA
        let layer = diff.layers[index]
        let path = Self.layerPage(layer.layerA)
        let root = SitePaths.root(from: path)
        let label = layer.layerA == layer.layerB ? "Layer \(layer.layerA)" : "Layer \(layer.layerA) of A, \(layer.layerB) of B"
        var c = common(page: path, title: "\(label) · \(titles.a) ⇄ \(titles.b)")
        c["label"] = label
        c["layerLinks"] = diff.layers.map { ["layer": $0.layerA, "href": root + Self.layerPage($0.layerA), "current": $0.layerA == layer.layerA] }
        c = c.setting("commentary", commentary.layers[layer.layerA].map(Markdown.html))
        // Each side's massive tokens, by A's run token index.
        let bToA = Dictionary(diff.pairing.tokens.map { ($0.b, $0.a) }, uniquingKeysWith: { a, _ in a })
        let massiveA = Set(diff.analysesA[index].massive.map(\.token))
        let massiveB = Set(diff.analysesB[index].massive.compactMap { bToA[$0.token] })
        let budget = ScatterPlot.Budget.page(plots: 3 * layer.entries.filter { $0.pcaA != nil }.count)
        c["views"] = layer.entries.enumerated().compactMap { i, e -> [String: Any]? in
            guard let pcaA = e.pcaA, let pcaB = e.pcaB else { return nil }
            func draw(_ p: Projection, _ side: String, massive: Set<Int>, from: [Point?]? = nil, id: String) -> String {
                var plot = SiteRenderer.scatter(
                    run: run, shown: shown, p, massive: massive,
                    label: "\(e.view.title), \(label): \(side)", xLabel: "PC1", yLabel: "PC2", from: from,
                    note: { t in e.neighbourChange[t].map { "neighbours changed \(NumberFormat.share($0))" } })
                plot.budget = budget
                plot.idPrefix = "\(id)\(i)"
                return plot.draw().svg
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
            return [
                "title": e.view.title, "name": e.view.name,
                "cka": e.cka.map { String(format: "%.3f", $0) } ?? "—", "tokens": e.tokens,
                "svgA": draw(pcaA, "PCA of A", massive: massiveA, id: "a"),
                "svgB": draw(pcaB, "PCA of B turned onto A's", massive: massiveB, id: "b"),
                "svgMoves": draw(pcaB, "B, a line from each token's place in A", massive: massiveB, from: from, id: "m"),
                "meanChange": NumberFormat.share(mean(e.neighbourChange.compactMap { $0 })),
                "neighbourTokens": e.neighbourTokens,
                "sampled": e.neighbourTokens < e.tokens,
                "open": e.view == .raw || e.view == diff.contentView?.view,
                "branches": branches.map { b, change -> [String: Any] in
                    ["label": shown.labels[b], "id": shown.ids[b], "color": BranchStyle.forBranch(b).color,
                     "change": NumberFormat.share(change),
                     "tokens": moved[b].map { t -> [String: Any] in
                         let j = t - offsets[b]
                         return ["index": j, "position": run.branches[b].positions[j],
                                 "token": TokenText.visible(run.branches[b].tokens[j]),
                                 "change": NumberFormat.share(e.neighbourChange[t])]
                     }]
                },
            ]
        }
        c["changes"] = changeRows(measures.rows.filter { $0.layerA == layer.layerA }, root: root, withLayer: false)
        c["legend"] = run.branches.indices.map { b -> [String: Any] in
            let style = BranchStyle.forBranch(b)
            return ["index": b, "label": shown.labels[b], "id": shown.ids[b], "color": style.color, "shape": style.shape.rawValue]
        }
        c["highlightCSS"] = BranchHighlight.file
        return theme.render("diff-layer", c)
    }

    /// Rows of the measures table: A, B, B − A and a mark for the direction of the change.
    private func changeRows(_ rows: some Sequence<MeasureDiff.Row>, root: String, withLayer: Bool) -> [[String: Any]] {
        rows.map { row in
            let delta = row.delta
            let mark = delta.map { $0 > 5e-4 ? "▲" : $0 < -5e-4 ? "▼" : "=" } ?? ""
            var out: [String: Any] = [
                "view": row.view, "measure": row.measure,
                "a": NumberFormat.figure(row.a), "b": NumberFormat.figure(row.b),
                "delta": delta.map { String(format: "%+.4f", $0) } ?? "—", "mark": mark,
                "direction": delta.map { $0 > 5e-4 ? "up" : $0 < -5e-4 ? "down" : "same" } ?? "none",
            ]
            if withLayer {
                out["layer"] = row.layerLabel
                if diff != nil { out["href"] = root + Self.layerPage(row.layerA) }
            }
            return out
        }
    }
}
