import ForkscopeNumerics

/// The measures of one view at one layer: the catalogue's values by key (`Measure.catalogue`,
/// docs/views-and-measures.md) and the token counts they were computed over. All are computed over
/// the view's fit tokens: the tokens it covers that are not massive.
public struct ViewMeasures: Sendable, Equatable, Codable {
    public var tokens: Int
    public var fitTokens: Int
    /// How many fit tokens the neighbourhood measures (kNN purities, trustworthiness, silhouette)
    /// average over: all up to `NeighbourhoodMeasures.queryLimit`, else an even spread of that many.
    public var neighbourQueries: Int?
    /// Each measure's value; a measure with no value here is absent (null in report.json).
    public var values: [Measure.ID: Double]

    public init(tokens: Int, fitTokens: Int, neighbourQueries: Int? = nil, values: [Measure.ID: Double] = [:]) {
        self.tokens = tokens
        self.fitTokens = fitTokens
        self.neighbourQueries = neighbourQueries
        self.values = values
    }

    public subscript(id: Measure.ID) -> Double? { values[id] }

    /// How many neighbours the neighbourhood measures use.
    public static let neighbours = 10

    /// A view keeping less than this share of the raw variance kept nothing but rounding noise
    /// (e.g. LEACE of a concept with as many columns as the states have dimensions): its other
    /// measures and its layouts are left out rather than computed on noise.
    public static let erasedAll = 1e-12

    /// Σ var(view before z-scoring) / Σ var(raw) over the view's fit tokens.
    static func varianceKept(_ viewStates: ViewStates, input: LayerInput) -> Double? {
        let rows = viewStates.tokens.indices.filter { input.fit[viewStates.tokens[$0]] }
        let raw = input.states.sumOfSquaredDeviations(rows: rows.map { viewStates.tokens[$0] })
        return raw > 0 ? viewStates.unstandardized.sumOfSquaredDeviations(rows: rows) / raw : nil
    }

    /// Every measure of the catalogue on one view.
    /// - Parameters:
    ///   - viewStates: the view fitted on all of the layer's fit tokens.
    ///   - varianceKept: `varianceKept(viewStates, input:)`, which the caller needs first: a view
    ///     that erased everything gets no other measure.
    ///   - roots: the root group of each run token.
    ///   - clusters: the view's clusters, for the measures that read them.
    static func measure(_ view: View, _ viewStates: ViewStates, varianceKept kept: Double?, layouts: [ProjectionKind: Layout],
                        clusters: ViewClusters? = nil, input: LayerInput, settings: DebiasSettings, roots: [Int]) -> ViewMeasures {
        let measureInput = MeasureInput(view: view, viewStates: viewStates, layer: input, settings: settings, roots: roots,
                                        layouts: layouts, varianceKept: kept, clusters: clusters)
        let fitTokens = measureInput.tokens.count
        if let kept, kept < erasedAll {
            return ViewMeasures(tokens: viewStates.tokens.count, fitTokens: fitTokens, values: [.varianceKept: kept])
        }
        var values = [Measure.ID: Double]()
        for measure in Measure.catalogue {
            if let value = measure.compute(measureInput) { values[measure.id] = value }
        }
        return ViewMeasures(tokens: viewStates.tokens.count, fitTokens: fitTokens,
                            neighbourQueries: fitTokens < 2 ? nil : measureInput.queries.count, values: values)
    }
}
