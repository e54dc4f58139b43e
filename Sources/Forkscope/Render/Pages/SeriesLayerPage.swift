/// A series diff's page for one layer (`series-layer.mustache`): the layer sweep turned sideways.
/// Each version's similarity to the version it is compared with (CKA with its null band, debiased
/// CKA, mutual kNN), then every measure of every version, as lines over versions, a line per view.
struct SeriesLayerPage: Sendable {
    struct Chart: Sendable { var title: String, help: String, svg: String }

    var label: String
    var layerLinks: [LayerLink]
    var commentary: String?
    var viewHeaders: [DiffIndexPage.ViewHeading]
    var similarity: [Chart]
    var measures: [Chart]

    static func make(_ r: SeriesRenderer, _ slice: Int) -> Page<SeriesLayerPage> {
        let s = r.series, layers = s.runs[0].layers, layer = layers[slice]
        let path = SeriesRenderer.layerPage(layer)
        let root = SitePaths.root(from: path)
        let labels = s.labels.indices.map { "\($0 + 1)" }
        let views = s.options.views
        func chart(_ title: String, _ series: [LineChart.Series], floor: ClosedRange<Double> = 0...1) -> String {
            var c = LineChart(title: title, xLabels: labels, series: series, floor: floor)
            c.classes = "sweep versions"
            c.xAxis = "version"
            return c.svg()
        }
        // Similarity: the first version has none (it is what the others are compared with, or the first of the chain).
        func similarity(_ measure: SimilarityMeasure, view: View) -> [Double?] {
            [nil] + s.pairs.map { pair in pair.layers[slice].entries.first { $0.view == view }.flatMap(measure.value) }
        }
        func lines(_ measure: SimilarityMeasure) -> [LineChart.Series] {
            views.enumerated().map { i, v in LineChart.Series(label: v.title, color: ViewPalette.color(i), values: similarity(measure, view: v)) }
        }
        let nullTop = [nil] + s.pairs.map { $0.layers[slice].highestNullP95 }
        let against = s.against == .first ? "the first version" : "the version before"
        let similarityCharts = [
            Chart(title: "Linear CKA", help: "against \(against); dashed: the permutation null's 95th percentile (highest of any view)",
                  svg: chart("linear CKA against \(against)", lines(.cka) + [LineChart.Series(label: "permutation null, 95th percentile", color: "#888888", values: nullTop, dashed: true)])),
            Chart(title: "Debiased CKA", help: "unbiased HSIC: about 0 for unrelated states", svg: chart("debiased CKA against \(against)", lines(.ckaDebiased))),
            Chart(title: "Mutual kNN agreement", help: "share of each token's 10 nearest neighbours kept", svg: chart("mutual kNN agreement against \(against)", lines(.mutualKNN))),
        ]
        // Every measure, in the order the first version's rows give them.
        let rows = s.runs.indices.map { r.measures(version: $0, slice: slice) }
        var names = [String]()
        for row in rows[0] where !names.contains(row.measure) && !["tokens", "fit_tokens", "neighbour_queries"].contains(row.measure) { names.append(row.measure) }
        let measureCharts = names.map { name -> Chart in
            let known = Measure.catalogue.first { $0.id.rawValue == name }
            let series = views.enumerated().map { i, v in
                LineChart.Series(label: v.title, color: ViewPalette.color(i), values: s.runs.indices.map { ver in
                    rows[ver].first { $0.view == v.name && $0.measure == name }.flatMap { r.value($0, version: ver) }
                })
            }
            return Chart(title: known?.label ?? name, help: known?.help ?? name,
                         svg: chart("\(known?.label ?? name) at layer \(layer)", series, floor: known?.range ?? 0...1))
        }
        let page = SeriesLayerPage(
            label: "Layer \(layer)",
            layerLinks: layers.map { LayerLink(layer: $0, href: root + SeriesRenderer.layerPage($0), current: $0 == layer) },
            commentary: r.commentary.layers[layer].map(Markdown.html),
            viewHeaders: views.enumerated().map { i, v in DiffIndexPage.ViewHeading(title: v.title, name: v.name, color: ViewPalette.color(i)) },
            similarity: similarityCharts, measures: measureCharts)
        return Page(frame: r.frame(path, title: "Layer \(layer) · \(r.title)"), body: page)
    }
}
