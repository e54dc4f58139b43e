/// One layer's attribution ladder (`Attribution`) as report.json writes it (`layers[].attribution`).
public struct AttributionReport: Codable, Sendable {
    /// One rung: the view and its measures at this layer.
    public struct Rung: Codable, Sendable {
        var step: String
        var view: String
        /// The value of `content_measure`.
        @Nullable var content: Double?
        @Nullable var position_probe: Double?
        @Nullable var position_knn_r2: Double?
        @Nullable var position_knn_r2_control: Double?
    }

    var content_measure: String
    var rungs: [Rung]

    init(_ attribution: Attribution, at analysis: LayerAnalysis) {
        content_measure = attribution.content.rawValue
        rungs = attribution.rungs.map { rung in
            let m = analysis.views.first { $0.view == rung.view }?.measures
            func value(_ id: Measure.ID) -> Double? { m?[id].finite }
            return Rung(step: rung.step.rawValue, view: rung.view.name, content: value(attribution.content),
                        position_probe: value(.positionProbe), position_knn_r2: value(.positionKnnR2),
                        position_knn_r2_control: value(.positionKnnR2Control))
        }
    }
}
