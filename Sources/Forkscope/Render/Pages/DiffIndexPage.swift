/// The front page of a diff site (`diff.mustache`): what was compared, CKA against layer, the
/// layer × layer maps and the largest changes in the measures.
struct DiffIndexPage: Sendable {
    struct ViewHeading: Sendable { var title: String, name: String, color: String }
    struct Mismatch: Sendable { var branch: String, reason: String }
    struct LayerRow: Sendable {
        struct Cell: Sendable { var cka: String, low: Bool, calibration: Calibration }
        var label: String
        var href: String
        var views: [Cell]
    }
    struct Map: Sendable { var title: String, name: String, svg: String, caption: String }

    var titleA: String
    var titleB: String
    var hasWarnings: Bool
    var warnings: [String]
    var commentary: String?
    var changes: [ChangeRow]
    var measureCount: Int
    /// Two reports were compared: the measures alone.
    var reportsOnly: Bool
    /// Two runs were compared: everything below.
    var runs: Bool
    var compared: Int?
    var tokens: Int?
    var hasMismatches: Bool
    var mismatches: [Mismatch]
    var pairing: String?
    var viewHeaders: [ViewHeading]
    var ckaChart: String?
    /// Debiased CKA against layer, and the highest null 95th percentile of any layer and view.
    var debiasedChart: String?
    var nullHighest: String?
    var withinNull: Int?
    var layers: [LayerRow]
    var maps: [Map]
    var contentView: String?

    static func make(_ r: DiffRenderer) -> Page<DiffIndexPage> {
        let titles = r.titles
        // Token counts are not on the scale of the other measures (shares, R², silhouettes): they
        // are on the layer pages, not ranked here.
        let ranked = r.measures.rows.filter { !["tokens", "fit_tokens"].contains($0.measure) && ($0.delta ?? 0) != 0 }
            .sorted { abs($0.delta!) > abs($1.delta!) }
        var page = DiffIndexPage(
            titleA: titles.a, titleB: titles.b, hasWarnings: !r.warnings.isEmpty, warnings: r.warnings.map(\.description),
            commentary: r.commentary.index.map(Markdown.html), changes: r.changeRows(ranked.prefix(30), root: "", withLayer: true),
            measureCount: r.measures.rows.count, reportsOnly: r.runs == nil, runs: r.runs != nil, hasMismatches: false,
            mismatches: [], viewHeaders: [], layers: [], maps: [])
        if let diff = r.runs { page.describe(diff) }
        return Page(frame: r.frame("index.html", title: "\(titles.a) ⇄ \(titles.b)"), body: page)
    }

    /// What only a comparison of runs shows.
    private mutating func describe(_ diff: RunDiff) {
        compared = diff.pairing.branches.count
        tokens = diff.pairing.tokens.count
        hasMismatches = !diff.pairing.mismatches.isEmpty
        mismatches = diff.pairing.mismatches.map { Mismatch(branch: TokenText.visible($0.branch), reason: TokenText.visible($0.reason)) }
        pairing = diff.pairing.layers.byDepth
            ? "The runs captured different numbers of layers, so each of A's layers is compared with B's nearest in relative depth (layer index ÷ the deepest captured)."
            : "Layers are compared in order."
        let views = diff.layers.first?.entries.map(\.view) ?? []
        viewHeaders = views.enumerated().map { i, v in ViewHeading(title: v.title, name: v.name, color: ViewPalette.color(i)) }
        let labels = diff.layers.map(\.layerLabel)
        func chart(_ title: String, _ measure: SimilarityMeasure) -> LineChart {
            LineChart(title: title, xLabels: labels, series: views.enumerated().map { i, v in
                LineChart.Series(label: v.title, color: ViewPalette.color(i), values: diff.layers.map { l in l.entries.first { $0.view == v }.flatMap(measure.value) })
            })
        }
        // The null's band: per layer, the highest 95th percentile of any view.
        let nullTop = diff.layers.map(\.highestNullP95)
        var cka = chart("linear CKA of A and B against layer", .cka)
        cka.series.append(LineChart.Series(label: "permutation null, 95th percentile (highest of any view)", color: "#888888",
                                           values: nullTop, dashed: true))
        ckaChart = cka.svg()
        debiasedChart = chart("debiased CKA of A and B against layer", .ckaDebiased).svg()
        nullHighest = nullTop.compactMap { $0 }.max().map { String(format: "%.3f", $0) }
        withinNull = diff.layers.reduce(0) { $0 + $1.entries.filter(Calibration.withinNull).count }
        layers = zip(diff.layers, labels).map { layer, label in
            LayerRow(label: label, href: DiffRenderer.layerPage(layer.layerA), views: layer.entries.map { e in
                LayerRow.Cell(cka: e.cka.map { String(format: "%.3f", $0) } ?? "—", low: (e.cka ?? 1) < 0.9, calibration: Calibration(e))
            })
        }
        let paired = Dictionary(diff.pairing.layers.pairs.map { ($0.a, $0.b) }, uniquingKeysWith: { a, _ in a })
        maps = diff.maps.map { m in
            let map = HeatMap(title: "\(m.view.title): linear CKA of every layer of A against every layer of B",
                              rowLabels: m.layersA.map(String.init), columnLabels: m.layersB.map(String.init), values: m.cka,
                              outlined: Set(paired.map { [$0.key, $0.value] }))
            return Map(title: m.view.title, name: m.view.name, svg: map.svg(),
                       caption: "Linear CKA on \(NumberFormat.count(m.tokens)) tokens"
                           + (m.tokens < m.candidates ? ", an even sample of the \(NumberFormat.count(m.candidates)) compared tokens that are never massive and that the view covers at every layer" : ": every compared token that is never massive and that the view covers at every layer")
                           + ". Outlined: the layers compared on their own pages.")
        }
        if let content = diff.contentView {
            contentView = "“\(content.view.title)” (\(content.view.name)) is the debiased view that shows content best in A: "
                + (content.nearChance ? "its position probe is near chance over the middle layers and its content measure (root kNN purity, or branch kNN purity in a run of one prompt) is the highest."
                                      : "no view brings the position probe near chance over the middle layers, and it comes closest.")
        }
    }
}
