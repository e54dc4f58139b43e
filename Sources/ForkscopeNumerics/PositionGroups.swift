/// Tokens grouped by the absolute position the model saw them at.
///
/// A position is *supported* when tokens at it come from at least two distinct branches: only
/// then is a per-position mean an estimate of "what position contributes" rather than the token
/// itself. In a branch tree the shared prefix is stored once, so the prompt of a single-root run
/// is unsupported: subtracting its "mean" would zero every prompt token.
public struct PositionGroups: Sendable, Equatable {
    /// Group index of each token, or nil for tokens at unsupported positions.
    public let group: [Int?]
    /// The position of each group, ascending.
    public let positions: [Int]
    /// Token indices of each group, ascending.
    public let members: [[Int]]

    /// - Parameters:
    ///   - positions: the position of each token.
    ///   - branches: an identifier of each token's branch (any integer per branch).
    ///   - minimumBranches: how many distinct branches make a position supported.
    public init(positions: [Int], branches: [Int], minimumBranches: Int = 2) {
        precondition(positions.count == branches.count)
        var byPosition = [Int: [Int]]()
        for (i, p) in positions.enumerated() { byPosition[p, default: []].append(i) }
        var group = [Int?](repeating: nil, count: positions.count)
        var kept = [Int](), members = [[Int]]()
        for p in byPosition.keys.sorted() {
            let tokens = byPosition[p]!
            guard Set(tokens.map { branches[$0] }).count >= minimumBranches else { continue }
            for t in tokens { group[t] = kept.count }
            kept.append(p)
            members.append(tokens)
        }
        self.group = group
        self.positions = kept
        self.members = members
    }

    /// Tokens at supported positions, ascending.
    public var supportedTokens: [Int] {
        group.indices.filter { group[$0] != nil }
    }

    /// The mean state of each group (groups x d).
    ///
    /// `rows`: the row of `x` holding each token, where `x` is not the tokens' own rows in order.
    public func means(of x: Matrix, rows: [Int]? = nil) -> Matrix {
        precondition((rows?.count ?? x.rows) == group.count)
        var out = Matrix(rows: members.count, cols: x.cols)
        for (g, tokens) in members.enumerated() {
            for t in tokens { let r = rows?[t] ?? t; for c in 0..<x.cols { out[g, c] += x[r, c] } }
            let scale = 1 / Double(tokens.count)
            for c in 0..<x.cols { out[g, c] *= scale }
        }
        return out
    }
}
