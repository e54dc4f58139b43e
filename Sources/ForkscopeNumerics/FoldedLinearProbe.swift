import CLapack

/// The held-out position probe (`PositionProbe`, leave one fold out) of views that are refitted
/// on each fold's training rows, computed from moments instead of refitting.
///
/// Every such view is the states minus a low-rank correction fitted on the training rows T, up to
/// a constant: v(x) = x − (w − m_T)·L·Rᵀ with w = [x, φ(p)] (the states beside the smooth position
/// basis), m_T the training mean of w, L (d+q) × k and R d × k. The probe centres and scales
/// the view over T itself, so all it needs is the view's training scatter and cross-moment with
/// the position, which follow from the training moments of w (the layer's minus the fold's):
///
///     S_v = Sxx − P Rᵀ − R Pᵀ + R (Lᵀ S L) Rᵀ,  P = (S L)[x rows],   s_vy = s_xy − R Lᵀ s_wy.
///
/// That is one pass over the rows (`RowMoments`, n·(d+q)² flops) and per fold O(d²·k) products,
/// the view's own fit from the d × d moments and one d × d Cholesky solve, instead of fitting the
/// view on the rows and forming the probe's normal equations again in every fold. Folds are
/// computed side by side on `threads`.
public enum FoldedLinearProbe {
    /// A view fitted on the training rows, as its estimator fits it.
    public enum Fit: Sendable, Equatable {
        /// `RidgeResidual(states:features:penaltyPerRow:)` on the basis.
        case ridgeResidual(penaltyPerRow: Double)
        /// `LEACE(states:concept:relativeTolerance:)` with the basis as the concept.
        case leace(relativeTolerance: Double)
        /// `AllButTheTop(states:components:)`.
        case allButTheTop(components: Int)
    }

    /// The pooled held-out R² of the probe on each fitted view (nil where fewer than two folds).
    /// - Parameters:
    ///   - x: the layer's states (all tokens), `features` their basis rows (same row order).
    ///   - rows: the fit tokens; `folds[t]` the fold of token t.
    public static func heldOutR2(_ x: Matrix, features: Matrix, positions: [Int], rows: [Int], folds: [Int],
                                 fits: [Fit], penalty: Double = 100, threads: Int = 1) -> [Double?] {
        let labels = Set(rows.map { folds[$0] }).sorted()
        guard labels.count >= 2, !fits.isEmpty else { return fits.map { _ in nil } }
        let d = x.cols, q = features.cols
        // w = [x, φ] of the fit tokens (row r of w is token rows[r]).
        let w = Matrix(rows: rows.count, cols: d + q) { out in
            for (r, t) in rows.enumerated() {
                for c in 0..<d { out[r * (d + q) + c] = x[t, c] }
                for c in 0..<q { out[r * (d + q) + d + c] = features[t, c] }
            }
        }
        let all = RowMoments.of(w, rows: Array(0..<rows.count), y: { Double(positions[rows[$0]]) })
        // Per fold and fit: the held-out tokens' positions and predictions.
        let perFold: [[(truth: [Int], predicted: [Double])]] = ParallelChunks.map(chunks: labels.count, threads: threads) { f in
            let test = rows.indices.filter { folds[rows[$0]] == labels[f] }
            let train = all - RowMoments(w, rows: test, shift: all.shift, y: { Double(positions[rows[$0]]) })
            guard train.count >= 2, !test.isEmpty else { return fits.map { _ in ([], []) } }
            let fold = FoldMoments(train, d: d)
            let trainRows = rows.indices.filter { folds[rows[$0]] != labels[f] }
            return fits.map { fit in
                let (l, r) = fold.correction(fit, trainStates: { w.selectingRows(trainRows).selectingColumns(Array(0..<d)) })
                let truth = test.map { positions[rows[$0]] }
                guard let weights = fold.probeWeights(l: l, r: r, penalty: penalty) else {
                    // The moments' normal matrix lost definiteness to cancellation (a view that
                    // erased whole columns, whose variance is then rounding noise): the probe on
                    // the view's rows, as a refit computes it.
                    let view = { (ids: [Int]) in fold.view(w.selectingRows(ids), l: l, r: r) }
                    let probe = PositionProbe(states: view(trainRows), positions: trainRows.map { positions[rows[$0]] }, penalty: penalty)
                    return (truth, probe.predict(view(test)))
                }
                // ŷ = ȳ + (v(x) − v̄)·weights, v(x) − v̄ = (x − m_x) − (w − m)·L·Rᵀ = (w − m)·(E_x − L Rᵀ).
                let coefficients = fold.inputCoefficients(weights: weights, l: l, r: r)
                let predicted = test.map { i in
                    var p = fold.yMean
                    for c in 0..<(d + q) { p += (w[i, c] - fold.mean[c]) * coefficients[c] }
                    return p
                }
                return (truth, predicted)
            }
        }
        return fits.indices.map { k in
            PositionProbe.r2(positions: perFold.flatMap { $0[k].truth }, predicted: perFold.flatMap { $0[k].predicted })
        }
    }
}

/// The centred training moments of w = [x, φ] of one fold, and what each view's fit and the probe
/// take from them.
private struct FoldMoments {
    let d: Int, q: Int, n: Int
    /// Σ (w − m)(w − m)ᵀ over the training rows, full (both triangles).
    let scatter: Matrix
    /// Σ (w − m)(y − ȳ).
    let yScatter: [Double]
    let mean: [Double]
    let yMean: Double

    init(_ train: RowMoments, d: Int) {
        var moments = train
        let n = moments.count, nd = Double(n), width = moments.gram.cols
        self.d = d; q = width - d; self.n = n
        let yMean = moments.ySum / nd
        self.yMean = yMean
        mean = moments.mean
        yScatter = (0..<width).map { moments.weightedSum[$0] - yMean * moments.sum[$0] }
        moments.centreGram()
        var s = moments.gram
        for r in 0..<width { for c in 0..<r { s[r, c] = s[c, r] } }
        scatter = s
    }

    /// The d × d block of the states (upper triangle filled both ways).
    var states: Matrix { block(rows: 0..<d, cols: 0..<d) }

    func block(rows: Range<Int>, cols: Range<Int>) -> Matrix {
        Matrix(rows: rows.count, cols: cols.count) { out in
            for (i, r) in rows.enumerated() { for (j, c) in cols.enumerated() { out[i * cols.count + j] = scatter[r, c] } }
        }
    }

    /// L ((d+q) × k) and R (d × k) of the view fitted on these moments: v = x − (w − m)·L·Rᵀ.
    /// - Parameter trainStates: the training rows' states, for a fit that needs them (LEACE of
    ///   ill-conditioned states).
    func correction(_ fit: FoldedLinearProbe.Fit, trainStates: () -> Matrix) -> (l: Matrix, r: Matrix) {
        switch fit {
        case .ridgeResidual(let penaltyPerRow):
            // Features standardised on the training rows (population std, relatively constant
            // columns dropped, as `Standardizer`), λ = penaltyPerRow · n; C = (DΦΦD + λI)⁻¹ D Sφx.
            let std = (0..<q).map { (max(0, scatter[d + $0, d + $0]) / Double(n)).squareRoot() }
            let floor = (std.max() ?? 0) * 1e-12
            let kept = (0..<q).filter { std[$0] > floor && std[$0] > 0 }
            var l = Matrix(rows: d + q, cols: kept.count)
            guard !kept.isEmpty else { return (l, Matrix(rows: d, cols: 0)) }
            var gram = Matrix(rows: kept.count, cols: kept.count)
            var rhs = Matrix(rows: kept.count, cols: d)
            for (i, a) in kept.enumerated() {
                for (j, b) in kept.enumerated() { gram[i, j] = scatter[d + a, d + b] / (std[a] * std[b]) }
                gram[i, i] += penaltyPerRow * Double(n)
                for c in 0..<d { rhs[i, c] = scatter[d + a, c] / std[a] }
                l[d + a, i] = 1 / std[a]
            }
            let coefficients = PositiveDefinite.solve(gram, rhs)     // k × d
            return (l, Self.transposed(coefficients))
        case .allButTheTop(let components):
            // The top principal directions of the training states, as `PCA` finds them.
            let scatter = states
            let sumOfSquares = (0..<d).reduce(0.0) { $0 + scatter[$1, $1] + Double(n) * mean[$1] * mean[$1] }
            let pca = PCA(scatter: scatter, mean: Array(mean[0..<d]), rows: n, sumOfSquares: sumOfSquares,
                          components: min(components, d))
            var l = Matrix(rows: d + q, cols: pca.components.rows)
            for j in 0..<pca.components.rows { for c in 0..<d { l[c, j] = pca.components[j, c] } }
            return (l, Self.transposed(pca.components))
        case .leace(let relativeTolerance):
            // LEACE (Belrose et al. 2023) in the right singular basis of the centred training
            // rows (Sxx = V S² Vᵀ): r(x) = x − (x − μ) V S⁻¹ Q Qᵀ S Vᵀ, Q an orthonormal basis of
            // col(A), A = S⁻¹ Vᵀ Sxz = Uᵀ Zc, as `LEACE` computes it. V and S come from the
            // eigenvectors of Sxx (d³, no pass over the rows) when every eigenvalue exceeds 1e-6
            // of the largest: eigenvalues of a Gram are exact to about d·ε of the largest, so
            // these are to 1e-9 of themselves. Otherwise (rank-deficient or ill-conditioned
            // states, whose small directions A amplifies) from `LEACE`'s own SVD of the rows.
            let (values, vectors) = SymmetricEigen.all(of: states)   // ascending; vectors: rows
            let largest = values.last ?? 0
            let v: Matrix, s: [Double]    // d × rank, descending singular values
            if largest > 0, values[0] > 1e-6 * largest {
                s = values.reversed().map { $0.squareRoot() }
                v = Matrix(rows: d, cols: d) { out in
                    for j in 0..<d { for c in 0..<d { out[c * d + j] = vectors[d - 1 - j, c] } }
                }
            } else {
                let rows = trainStates()
                let svd = ThinSVD(rows.subtractingFromRows(rows.columnMeans()), relativeTolerance: relativeTolerance)
                (v, s) = (svd.v, svd.s)
            }
            let a = v.multiplied(by: block(rows: 0..<d, cols: d..<(d + q)), transposeSelf: true)   // Vᵀ Sxz, then S⁻¹
                .scalingRows(by: s.map { 1 / $0 })
            let concept = (0..<q).reduce(0.0) { $0 + max(0, scatter[d + $1, d + $1]) }.squareRoot()
            let basis = ThinSVD(a, relativeTolerance: relativeTolerance, absoluteFloor: relativeTolerance * concept).u   // rank × k
            let k = basis.cols
            // L = V S⁻¹ Q (padded with q zero rows), R = V S Q.
            let down = v.multiplied(by: basis.scalingRows(by: s.map { 1 / $0 }))
            let up = v.multiplied(by: basis.scalingRows(by: s))
            let l = Matrix(rows: d + q, cols: k) { out in
                for i in 0..<(d * k) { out[i] = down.storage[i] }
                for i in (d * k)..<((d + q) * k) { out[i] = 0 }
            }
            return (l, up)
        }
    }

    /// The probe's weights on the view's centred states: ridge on the view standardised over the
    /// training rows (as `PositionProbe`), returned in the view's own units (D·w).
    func probeWeights(l: Matrix, r: Matrix, penalty: Double) -> [Double]? {
        let k = l.cols
        var sv = states
        var svy = Array(yScatter[0..<d])
        if k > 0 {
            let sl = scatter.multiplied(by: l)                       // (d+q) × k
            let p = sl.selectingRows(Array(0..<d))                     // d × k
            let core = l.multiplied(by: sl, transposeSelf: true)      // k × k
            let rCore = r.multiplied(by: core)                         // d × k
            // S_v = Sxx − P Rᵀ − R Pᵀ + R core Rᵀ = Sxx − P Rᵀ − R (P − R core)ᵀ (core is symmetric).
            let left = p.multiplied(by: r, transposeOther: true)      // P Rᵀ
            let right = r.multiplied(by: p - rCore, transposeOther: true)   // R (P − R core)ᵀ
            for i in 0..<d { for j in 0..<d { sv[i, j] -= left[i, j] + right[i, j] } }
            let lty = (0..<k).map { j in (0..<(d + q)).reduce(0.0) { $0 + l[$1, j] * yScatter[$1] } }
            for i in 0..<d { for j in 0..<k { svy[i] -= r[i, j] * lty[j] } }
        }
        return PositionProbe.standardizedWeights(scatter: &sv, yScatter: svy, count: n, penalty: penalty)
    }

    /// The view of some rows of w: x − (w − m)·L·Rᵀ (up to the constant the probe removes).
    func view(_ rows: Matrix, l: Matrix, r: Matrix) -> Matrix {
        let x = rows.selectingColumns(Array(0..<d))
        guard l.cols > 0 else { return x }
        return x - rows.subtractingFromRows(mean).multiplied(by: l).multiplied(by: r, transposeOther: true)
    }

    /// c with (v(x) − v̄)·weights = (w − m)·c: c = [weights; 0] − L Rᵀ weights.
    func inputCoefficients(weights: [Double], l: Matrix, r: Matrix) -> [Double] {
        var c = weights + [Double](repeating: 0, count: q)
        let rtw = (0..<r.cols).map { j in (0..<d).reduce(0.0) { $0 + r[$1, j] * weights[$1] } }
        for i in 0..<(d + q) { for j in 0..<l.cols { c[i] -= l[i, j] * rtw[j] } }
        return c
    }

    static func transposed(_ m: Matrix) -> Matrix {
        Matrix(rows: m.cols, cols: m.rows) { out in
            for i in 0..<m.rows { for j in 0..<m.cols { out[j * m.rows + i] = m[i, j] } }
        }
    }
}

private extension Matrix {
    /// Row i multiplied by `factors[i]`.
    func scalingRows(by factors: [Double]) -> Matrix {
        var out = self
        for i in 0..<rows { for j in 0..<cols { out[i, j] *= factors[i] } }
        return out
    }
}
