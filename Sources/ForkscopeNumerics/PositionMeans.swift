import CLapack

/// Per-position-mean debiasing and the share of variance position explains.
///
/// Subtracting the mean state of each position is ordinary least squares on a one-hot encoding of
/// position; it is also what LEACE (Belrose et al., 2023) reduces to with one-hot position labels
/// and an oracle fit on the same data.
public enum PositionMeans {
    /// States with their position's mean subtracted, for the supported tokens only.
    /// - Returns: the token index of each output row and the residual states.
    public static func debias(_ x: Matrix, groups: PositionGroups) -> (tokens: [Int], states: Matrix) {
        let tokens = groups.supportedTokens
        return (tokens, residuals(x, rows: tokens, means: groups.means(of: x)) { groups.group[$0]! })
    }

    /// States minus position means fitted on some tokens only (`fit`, e.g. all but massive
    /// activations) and applied to every token at a position those tokens support (≥ 2 of their
    /// branches), fit or not. With every token fitted this is `debias(_:groups:)`.
    /// - Returns: the covered token indices, ascending, and their residual states.
    public static func debias(_ x: Matrix, positions: [Int], branches: [Int], fit: [Bool]) -> (tokens: [Int], states: Matrix) {
        let fitted = fit.indices.filter { fit[$0] }
        let groups = PositionGroups(positions: fitted.map { positions[$0] }, branches: fitted.map { branches[$0] })
        let groupOf = Dictionary(uniqueKeysWithValues: groups.positions.enumerated().map { ($1, $0) })
        let covered = positions.indices.filter { groupOf[positions[$0]] != nil }
        return (covered, residuals(x, rows: covered, means: groups.means(of: x, rows: fitted)) { groupOf[positions[$0]]! })
    }

    /// Rows `rows` of `x`, each minus the mean of its group.
    private static func residuals(_ x: Matrix, rows: [Int], means: Matrix, group: (Int) -> Int) -> Matrix {
        var out = x.selectingRows(rows)
        for (r, t) in rows.enumerated() {
            let g = group(t)
            for c in 0..<x.cols { out[r, c] -= means[g, c] }
        }
        return out
    }

    /// Distance of every token to its position's mean (nil at unsupported positions).
    public static func distances(_ x: Matrix, groups: PositionGroups) -> [Double?] {
        let (tokens, states) = debias(x, groups: groups)
        var out = [Double?](repeating: nil, count: x.rows)
        for (t, norm) in zip(tokens, states.rowNorms()) { out[t] = norm }
        return out
    }

    /// `position_r2`: 1 - Σ‖xᵢ - m_p(i)‖² / Σ‖xᵢ - x̄‖² over the supported tokens, where m_p is
    /// the mean of position p and x̄ the mean of those tokens; the one-way ANOVA R² of position.
    /// Nil when no token is supported or the tokens have no variance.
    public static func r2(_ x: Matrix, groups: PositionGroups) -> Double? {
        let tokens = groups.supportedTokens
        guard !tokens.isEmpty else { return nil }
        let means = groups.means(of: x)
        let grand = x.columnMeans(rows: tokens)
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

extension PositionMeans {
    /// Held-out `position_r2`: each supported token is predicted by the mean of the tokens at its
    /// position in *other* branches (leave-one-branch-out), against the same total as `r2`.
    public static func heldOutR2(_ x: Matrix, groups: PositionGroups, branches: [Int]) -> Double? {
        let tokens = groups.supportedTokens
        guard !tokens.isEmpty else { return nil }
        let grand = x.columnMeans(rows: tokens)
        // Each token is predicted from its group's sum minus its own branch's share of it.
        let d = x.cols
        let sums = groups.members.map { members in
            members.reduce(into: [Double](repeating: 0, count: d)) { s, t in for c in 0..<d { s[c] += x[t, c] } }
        }
        var within = 0.0, total = 0.0
        var prediction = [Double](repeating: 0, count: d)
        for t in tokens {
            let g = groups.group[t]!
            let own = groups.members[g].filter { branches[$0] == branches[t] }
            for c in 0..<d { prediction[c] = sums[g][c] }
            for o in own { for c in 0..<d { prediction[c] -= x[o, c] } }
            let scale = 1 / Double(groups.members[g].count - own.count)
            for c in 0..<d {
                let v = x[t, c]
                within += (v - prediction[c] * scale) * (v - prediction[c] * scale)
                total += (v - grand[c]) * (v - grand[c])
            }
        }
        guard total > 0 else { return nil }
        return 1 - within / total
    }

    /// The expected `position_r2` when position labels are randomly permuted among the same tokens:
    /// exactly (G − 1)/(N − 1) for a one-way ANOVA with G groups of N tokens in all, since under
    /// permutation E[n_g(ȳ_g − ȳ)²] = σ²(N − n_g)/(N − 1) for every group g.
    public static func chanceR2(groups: PositionGroups) -> Double? {
        let n = groups.supportedTokens.count
        guard n >= 2, !groups.positions.isEmpty else { return nil }
        return Double(groups.positions.count - 1) / Double(n - 1)
    }
}

extension PositionMeans {
    /// PCA of the per-position-mean residuals of the fit rows (the `position_mean` view's own
    /// fit), from the moments of all fit rows instead of a pass over the residuals:
    /// Σ rrᵀ = Σ_covered x̃x̃ᵀ − Σ_g n_g·m̃_g m̃_gᵀ, since each position's residuals sum to zero
    /// (so their mean is zero too). Only the rows at unsupported positions and the group sums are
    /// touched: O(n·d + groups·d²) instead of n·d².
    public static func residualPCA(_ x: Matrix, fitMoments: RowMoments, fitRows: [Int], positions: [Int], branches: [Int],
                                   components: Int = 2) -> PCA {
        let d = x.cols
        let groups = PositionGroups(positions: fitRows.map { positions[$0] }, branches: fitRows.map { branches[$0] })
        let uncovered = fitRows.indices.filter { groups.group[$0] == nil }.map { fitRows[$0] }
        var scatter = (fitMoments - RowMoments(x, rows: uncovered, shift: fitMoments.shift)).gram
        // Rows √n_g·m̃_g = s_g/√n_g, subtracted from the upper triangle with one dsyrk.
        var scaled = [Double](repeating: 0, count: groups.members.count * d)
        for (g, members) in groups.members.enumerated() {
            for m in members { for c in 0..<d { scaled[g * d + c] += x[fitRows[m], c] - fitMoments.shift[c] } }
            let s = 1 / Double(members.count).squareRoot()
            for c in 0..<d { scaled[g * d + c] *= s }
        }
        scaled.withUnsafeBufferPointer { a in
            scatter.storage.withUnsafeMutableBufferPointer { out in
                cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, blasint(d), blasint(groups.members.count), -1,
                            a.baseAddress, blasint(d), 1, out.baseAddress, blasint(d))
            }
        }
        let covered = fitRows.count - uncovered.count
        let total = (0..<d).reduce(0.0) { $0 + scatter[$1, $1] }
        return PCA(scatter: scatter, mean: [Double](repeating: 0, count: d), rows: covered, sumOfSquares: total, components: components)
    }
}
