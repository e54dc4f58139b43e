import ForkscopeNumerics

/// The front page of a series diff (`series.mustache`): the versions, with each one's verdict
/// (recommended view) and attribution; per view a version × layer heat map of CKA and of debiased
/// CKA against the version compared with; links to each pair's diff and each layer's page.
struct SeriesIndexPage: Sendable {
    struct Version: Sendable {
        var number: Int
        var label: String
        var title: String
        var model: String
        var recommended: String
        var rungs: [Rung]
        var pair: PairLink?
    }
    struct Rung: Sendable { var step: String, view: String, content: String, probe: String }
    struct PairLink: Sendable { var href: String, text: String }
    struct ViewMaps: Sendable {
        var title: String
        var name: String
        var cka: String
        var debiased: String
        var withinNull: Int
        var nullHighest: String
        var open: Bool
        /// The low end of the two maps' colour scale.
        var scaleLow: String
    }

    var title: String
    var against: String
    var hasWarnings: Bool
    var warnings: [String]
    var commentary: String?
    var versions: [Version]
    var contentMeasure: String
    var views: [ViewMaps]
    var layerLinks: [LayerLink]
    var compared: Int
    var tokens: Int

    static func make(_ r: SeriesRenderer) -> Page<SeriesIndexPage> {
        let s = r.series
        let contentID = Verdict.contentMeasure(s.runs[0])
        let versions = s.runs.indices.map { v -> Version in
            let verdict = s.verdicts[v]
            func figure(_ view: View, _ id: Measure.ID) -> String { verdict.mean(view, id).map { String(format: "%.3f", $0) } ?? "—" }
            return Version(
                number: v + 1, label: TokenText.visible(s.labels[v]), title: TokenText.visible(s.runs[v].title),
                model: TokenText.visible(s.runs[v].model.name),
                recommended: verdict.content.map { "\($0.view.title) (\($0.view.name))" } ?? "—",
                rungs: verdict.attribution?.rungs.map { Rung(step: $0.step.rawValue, view: $0.view.name,
                                                             content: figure($0.view, contentID), probe: figure($0.view, .positionProbe)) } ?? [],
                pair: v == 0 ? nil : PairLink(href: SeriesRenderer.pairFolder(s, v - 1) + "index.html",
                                              text: "\(s.bases[v - 1] + 1) ⇄ \(v + 1)"))
        }
        let layers = s.runs[0].layers
        let rowLabels = (1..<s.runs.count).map { "\($0 + 1)" }
        let axis = s.against == .first ? "version (against 1)" : "version (against the one before)"
        let views = s.options.views.enumerated().map { i, view -> ViewMaps in
            // rows: the compared versions; columns: layers.
            let cells = s.pairs.map { pair in pair.layers.map { $0.entries.first { $0.view == view } } }
            // One colour scale for the view's two maps, from the tenth below their lowest value to
            // 1, so that versions a few hundredths apart still show and the two maps compare.
            let all = cells.joined().compactMap { $0 }.flatMap { [$0.cka, $0.ckaDebiased].compactMap { $0 } }
            let low = max(min(((all.min() ?? 0) * 10).rounded(.down) / 10, 0.9), -1)
            func map(_ measure: SimilarityMeasure, _ title: String) -> String {
                var values = Matrix(rows: cells.count, cols: layers.count, repeating: .nan)
                var outlined = Set<[Int]>()
                for (r, row) in cells.enumerated() {
                    for (c, e) in row.enumerated() {
                        if let e, let v = measure.value(of: e) { values[r, c] = v }
                        if let e, Calibration.withinNull(e) { outlined.insert([r, c]) }
                    }
                }
                var heat = HeatMap(title: "\(view.title): \(title) of each version against \(s.against == .first ? "the first" : "the one before"), per layer",
                                   rowLabels: rowLabels, columnLabels: layers.map(String.init), values: values, outlined: outlined,
                                   rowAxis: axis, columnAxis: "layer")
                heat.outlineMeaning = "CKA within the permutation null"
                heat.scale = low...1
                heat.notes = cells.map { row in row.map { $0.map { Calibration($0).sentence } ?? "not compared" } }
                heat.classes = "heatmap series"
                return heat.svg()
            }
            let flat = cells.joined().compactMap { $0 }
            return ViewMaps(title: view.title, name: view.name, cka: map(.cka, "linear CKA"), debiased: map(.ckaDebiased, "debiased CKA"),
                            withinNull: flat.filter(Calibration.withinNull).count,
                            nullHighest: flat.compactMap { $0.null?.p95 }.max().map { String(format: "%.3f", $0) } ?? "—",
                            open: i < 2 || view == s.pairs[0].contentView?.view, scaleLow: String(format: "%.1f", low))
        }
        let page = SeriesIndexPage(
            title: r.title,
            against: s.against == .first ? "Each version is compared with the first." : "Each version is compared with the one before it.",
            hasWarnings: !r.warnings.isEmpty, warnings: r.warnings.map(\.description),
            commentary: r.commentary.index.map(Markdown.html), versions: versions,
            contentMeasure: Measure.catalogue.first { $0.id == contentID }?.label ?? contentID.rawValue, views: views,
            layerLinks: layers.map { LayerLink(layer: $0, href: SeriesRenderer.layerPage($0), current: false) },
            compared: s.pairs[0].pairing.branches.count, tokens: s.pairs[0].pairing.tokens.count)
        return Page(frame: r.frame("index.html", title: r.title), body: page)
    }
}
