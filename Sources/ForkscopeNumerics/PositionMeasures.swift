/// Per-position-mean debiasing and the share of variance position explains.
///
/// Subtracting the mean state of each position is ordinary least squares on a one-hot encoding of
/// position; it is also what LEACE (Belrose et al., 2023) reduces to with one-hot position labels
/// and an oracle fit on the same data.
public enum PositionMeans {
    /// States with their position's mean subtracted, for the supported tokens only.
    /// - Returns: the token index of each output row and the residual states.
    public static func debias(_ x: Matrix, groups: PositionGroups) -> (tokens: [Int], states: Matrix) {
        let means = groups.means(of: x)
        let tokens = groups.supportedTokens
        var out = Matrix(rows: tokens.count, cols: x.cols)
        for (r, t) in tokens.enumerated() {
            let g = groups.group[t]!
            for c in 0..<x.cols { out[r, c] = x[t, c] - means[g, c] }
        }
        return (tokens, out)
    }

    /// Distance of every token to its position's mean (nil at unsupported positions).
    public static func distances(_ x: Matrix, groups: PositionGroups) -> [Double?] {
        let means = groups.means(of: x)
        return (0..<x.rows).map { t in
            guard let g = groups.group[t] else { return nil }
            var s = 0.0
            for c in 0..<x.cols { let e = x[t, c] - means[g, c]; s += e * e }
            return s.squareRoot()
        }
    }

    /// `position_r2`: 1 - Σ‖xᵢ - m_p(i)‖² / Σ‖xᵢ - x̄‖² over the supported tokens, where m_p is
    /// the mean of position p and x̄ the mean of those tokens; the one-way ANOVA R² of position.
    /// Nil when no token is supported or the tokens have no variance.
    public static func r2(_ x: Matrix, groups: PositionGroups) -> Double? {
        let tokens = groups.supportedTokens
        guard !tokens.isEmpty else { return nil }
        let means = groups.means(of: x)
        let grand = x.selectingRows(tokens).columnMeans()
        var within = 0.0, total = 0.0
        for t in tokens {
            let g = groups.group[t]!
            for c in 0..<x.cols {
                let v = x[t, c]
                within += (v - means[g, c]) * (v - means[g, c])
                total += (v - grand[c]) * (v - grand[c])
            }
        }
        guard total > 0 else { return nil }
        return 1 - within / total
    }
}
