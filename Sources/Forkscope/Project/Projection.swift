import ForkscopeNumerics

/// A 2-D point of a layout.
public struct Point: Sendable, Equatable {
    public var x: Double
    public var y: Double
    public init(x: Double, y: Double) { self.x = x; self.y = y }
}

/// A view's 2-D layout: a point for each token the view keeps.
public struct Projection: Sendable {
    /// The point of every run token, nil where the view left the token out.
    public let points: [Point?]
    /// Share of the view's variance along each axis.
    public let explainedVariance: [Double]

    /// Exact PCA to two components of a view's states.
    public static func pca(_ view: ViewStates, tokenCount: Int) -> Projection {
        var points = [Point?](repeating: nil, count: tokenCount)
        guard view.tokens.count >= 2 else {
            return Projection(points: points, explainedVariance: [])
        }
        let fit = PCA(fitting: view.states, components: 2)
        for (row, t) in view.tokens.enumerated() {
            points[t] = Point(x: fit.scores[row, 0], y: fit.scores[row, 1])
        }
        return Projection(points: points, explainedVariance: fit.explainedVarianceRatio)
    }
}
