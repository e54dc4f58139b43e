import ForkscopeNumerics

/// Everything the site shows about one layer: debias -> project -> measure for each view, plus
/// per-token figures of the raw states. Holds only 2-D and per-token numbers, never the states,
/// so a build keeps one layer's states in memory at a time.
public struct LayerAnalysis: Sendable {
    public struct ViewResult: Sendable {
        public let view: View
        public let projection: Projection
        public let measures: ViewMeasures
    }

    /// The model's layer index.
    public let layer: Int
    public let views: [ViewResult]
    /// ‖x‖ of every token's raw state.
    public let norms: [Double]
    /// ‖x - mean of its position‖ for every token at a supported position.
    public let distanceToPositionMean: [Double?]

    public init(layer: Int, states: Matrix, run: ActivationRun, views: [View]) {
        let positions = run.tokenPositions, branches = run.tokenBranch
        let groups = PositionGroups(positions: positions, branches: branches)
        self.layer = layer
        self.norms = states.rowNorms()
        self.distanceToPositionMean = PositionMeans.distances(states, groups: groups)
        self.views = views.map { view in
            let viewStates = view.apply(to: states, groups: groups)
            let projection = Projection.pca(viewStates, tokenCount: states.rows)
            let measures = ViewMeasures.measure(viewStates, projection: projection, positions: positions, branches: branches)
            return ViewResult(view: view, projection: projection, measures: measures)
        }
    }
}
