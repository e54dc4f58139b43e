import ForkscopeNumerics

/// A way of looking at a layer's states: as they are, or with the positional component removed.
///
/// Names are part of `report.json` (`forkscope.report/1`): add views, never rename them.
public enum View: String, CaseIterable, Sendable {
    /// The states as captured.
    case raw
    /// Each token minus the mean state of its position (positions seen in two or more branches).
    case positionMean = "position_mean"

    public var title: String {
        switch self {
        case .raw: "Raw"
        case .positionMean: "Per-position mean removed"
        }
    }

    /// One sentence for pages and docs: what was done to the states.
    public var summary: String {
        switch self {
        case .raw: "Hidden states as captured."
        case .positionMean:
            "Each token's state minus the mean state of all tokens at the same position (least squares on one-hot position; equivalently oracle LEACE with position labels). Only positions seen in at least two branches have a meaningful mean: tokens elsewhere are left out of this view."
        }
    }

    /// The tokens this view keeps and their states (rows follow `tokens`).
    public func apply(to states: Matrix, groups: PositionGroups) -> ViewStates {
        switch self {
        case .raw:
            return ViewStates(tokens: Array(0..<states.rows), states: states)
        case .positionMean:
            let (tokens, residuals) = PositionMeans.debias(states, groups: groups)
            return ViewStates(tokens: tokens, states: residuals)
        }
    }
}

/// A view's states: a subset of the run's tokens (run-order indices) and one row each.
public struct ViewStates: Sendable {
    public let tokens: [Int]
    public let states: Matrix
}
