import ForkscopeNumerics

/// The measures of one view at one layer, as `report.json` names them.
public struct ViewMeasures: Sendable, Equatable {
    /// Share of the variance explained by one-hot position over the supported tokens.
    public var positionR2: Double?
    /// Share of the view's variance along each of the two PCA axes.
    public var pcaExplainedVariance: [Double]
    /// How many tokens the view holds.
    public var tokens: Int

    public static func measure(_ view: ViewStates, projection: Projection, positions: [Int], branches: [Int]) -> ViewMeasures {
        // Group the view's own rows: supported positions are those of the view's tokens.
        let groups = PositionGroups(positions: view.tokens.map { positions[$0] },
                                    branches: view.tokens.map { branches[$0] })
        return ViewMeasures(positionR2: PositionMeans.r2(view.states, groups: groups),
                            pcaExplainedVariance: projection.explainedVariance,
                            tokens: view.tokens.count)
    }
}
