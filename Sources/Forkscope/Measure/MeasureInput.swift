import ForkscopeNumerics

/// What a measure is computed from: one view's states at one layer (fitted on all the layer's fit
/// tokens) and its layouts. What several measures share (the fit tokens' rows, their position
/// groups, one pass over the view's distances for every neighbourhood measure) is computed once,
/// when a measure first asks for it. One instance per view, used by one thread.
final class MeasureInput {
    let view: View
    let viewStates: ViewStates
    /// The layer the view was fitted on.
    let layer: LayerInput
    let settings: DebiasSettings
    /// The root group of each run token.
    let roots: [Int]
    let layouts: [ProjectionKind: Layout]
    let varianceKept: Double?
    let clusters: ViewClusters?

    init(view: View, viewStates: ViewStates, layer: LayerInput, settings: DebiasSettings, roots: [Int],
         layouts: [ProjectionKind: Layout], varianceKept: Double?, clusters: ViewClusters? = nil) {
        self.clusters = clusters
        self.view = view
        self.viewStates = viewStates
        self.layer = layer
        self.settings = settings
        self.roots = roots
        self.layouts = layouts
        self.varianceKept = varianceKept
    }

    /// The view's rows of fit tokens, those tokens (run order) and their states.
    lazy var rows: [Int] = viewStates.tokens.indices.filter { layer.fit[viewStates.tokens[$0]] }
    lazy var tokens: [Int] = rows.map { viewStates.tokens[$0] }
    lazy var states: Matrix = viewStates.states.selectingRows(rows)
    lazy var groups = PositionGroups(positions: tokens.map { layer.positions[$0] }, branches: tokenBranches)
    lazy var tokenRoots: [Int] = tokens.map { roots[$0] }
    lazy var tokenBranches: [Int] = tokens.map { layer.branches[$0] }
    /// Folds of the position probe: root groups when the layer's fit tokens span two, else branches.
    lazy var folds: [Int] = ViewMeasures.probeFolds(layer, roots: roots)
    /// The fit tokens' positions, as the nonlinear probe's targets.
    lazy var tokenPositions: [Double] = tokens.map { Double(layer.positions[$0]) }
    /// The fit tokens the neighbourhood measures average over.
    lazy var queries: [Int] = NeighbourhoodMeasures.queries(count: tokens.count)
    /// The layouts the neighbour pass scores, in kind order: those with a point for every fit token.
    lazy var scored: [ProjectionKind] = tokens.count < 2 ? [] : ProjectionKind.allCases.filter { kind in
        layouts[kind].map { layout in tokens.allSatisfy { layout.points[$0] != nil } } ?? false
    }
    /// One pass over the view's distances: cosine neighbours of the queries and
    /// the trustworthiness of every scored layout, and the queries' neighbours under other folds
    /// (root prompts, or branches in a run of one root) for the nonlinear position probe.
    lazy var neighbourhoods = NeighbourhoodMeasures(input: states, layouts: scored.map { scoredLayout($0)! },
                                                    k: ViewMeasures.neighbours, queries: queries,
                                                    otherGroup: tokens.map { folds[$0] })

    /// The fit tokens' points in a scored layout, as an n x 2 matrix.
    func scoredLayout(_ kind: ProjectionKind) -> Matrix? {
        scored.contains(kind) ? layouts[kind]?.matrix(of: tokens) : nil
    }

    func trustworthiness(_ kind: ProjectionKind) -> Double? {
        scored.firstIndex(of: kind).flatMap { neighbourhoods.trustworthiness[$0] }
    }

    /// The nonlinear position probe: R² of each query's position predicted by its neighbours under
    /// other folds, with the positions as they are or (the control) permuted within root prompts.
    lazy var positionKNN: Double? = NeighbourRegression.r2(targets: tokenPositions, queries: queries,
                                                            neighbours: neighbourhoods.otherGroupNeighbours)
    lazy var positionKNNControl: Double? = NeighbourRegression.r2(
        targets: NeighbourRegression.permuted(tokenPositions, within: tokenRoots), queries: queries,
        neighbours: neighbourhoods.otherGroupNeighbours)

    /// Share of the queries' cosine neighbours that carry the query's label.
    func purity(_ labels: [Int]) -> Double? {
        Neighbours.purity(neighbourhoods.cosineNeighbours, of: queries.map { labels[$0] }, labels: labels)
    }
}
