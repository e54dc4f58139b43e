import ForkscopeNumerics

/// A view's states: the run tokens it covers (run-order indices) and one row each.
public struct ViewStates: Sendable {
    public let tokens: [Int]
    public let states: Matrix
    /// Before z-scoring (equal to `states` for other views): what `variance_kept` compares.
    public let unstandardized: Matrix
}
