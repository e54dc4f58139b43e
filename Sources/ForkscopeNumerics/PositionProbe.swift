/// A linear probe of position: ridge regression of the position number on the states, features
/// z-scored on the training rows (λ = `penalty` on the standardised features, intercept free).
public struct PositionProbe: Sendable {
    let scaler: Standardizer
    let weights: Matrix
    let intercept: Double

    public init(states: Matrix, positions: [Int], penalty: Double = 100) {
        let y = positions.map(Double.init)
        let mean = y.reduce(0, +) / Double(max(y.count, 1))
        intercept = mean
        scaler = Standardizer(fitting: states)
        let w = RidgeResidual.solveVector(scaler.apply(states), y.map { $0 - mean }, penalty: penalty)
        weights = Matrix(rows: w.count, cols: 1, storage: w)
    }

    public func predict(_ states: Matrix) -> [Double] {
        scaler.apply(states).multiplied(by: weights).storage.map { $0 + intercept }
    }

    /// R² of predictions against true positions: 1 − Σ(p − p̂)² / Σ(p − p̄)². Nil without spread.
    public static func r2(positions: [Int], predicted: [Double]) -> Double? {
        let y = positions.map(Double.init)
        guard y.count >= 2 else { return nil }
        let mean = y.reduce(0, +) / Double(y.count)
        let total = y.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        guard total > 0 else { return nil }
        return 1 - zip(y, predicted).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / total
    }
}

extension PositionProbe {
    /// Pooled held-out R² of the probe, leaving one fold out at a time, for states that are the
    /// same whichever fold is held out (raw states, a captured variant): `rows` are the tokens the
    /// probe may use, `folds[t]` the fold of token t. The same as fitting `PositionProbe` on each
    /// fold's training rows and predicting its held-out rows, but every fold's normal equations
    /// come from one Gram matrix: Σ_train xxᵀ = Σ_all xxᵀ − Σ_fold xxᵀ, and z-scoring on the
    /// training rows is a diagonal rescaling of their covariance. That is 2·n·d² flops in all
    /// instead of (folds − 1)·n·d².
    ///
    /// - Parameter moments: `RowMoments.of(x, rows:, y: positions)` if the caller has them.
    public static func heldOutR2(_ x: Matrix, positions: [Int], rows: [Int], folds: [Int], penalty: Double = 100,
                                 moments: RowMoments? = nil) -> Double? {
        let labels = Set(rows.map { folds[$0] }).sorted()
        guard labels.count >= 2 else { return nil }
        let all = moments ?? RowMoments.of(x, rows: rows, y: { Double(positions[$0]) })
        let shift = all.shift
        var truth = [Int](), predicted = [Double]()
        for label in labels {
            let test = rows.filter { folds[$0] == label }
            let held = RowMoments(x, rows: test, shift: shift, y: { Double(positions[$0]) })
            // The training rows' moments, in place over the held-out fold's (one d × d buffer).
            var train = all - held
            let n = train.count
            guard n >= 2, !test.isEmpty else { continue }
            let d = x.cols, nd = Double(n)
            let mean = train.sum.map { $0 / nd }
            let yMean = train.ySum / nd
            // Scatter of the training rows, and Σ (x̃ − m̃)(y − ȳ) = Σ x̃·y − ȳ·Σ x̃.
            train.centreGram()
            let yScatter = (0..<d).map { train.weightedSum[$0] - yMean * train.sum[$0] }
            guard let weights = standardizedWeights(scatter: &train.gram, yScatter: yScatter, count: n, penalty: penalty) else {
                preconditionFailure("the probe's normal matrix is not positive definite")
            }
            for t in test {
                var p = yMean
                for c in 0..<d { p += (x[t, c] - shift[c] - mean[c]) * weights[c] }
                predicted.append(p)
                truth.append(positions[t])
            }
        }
        return r2(positions: truth, predicted: predicted)
    }

    /// The probe's weights from its training rows' centred moments, in the states' own units:
    /// the standardiser's scales D from the scatter's diagonal (population std; columns of
    /// relatively zero spread dropped, as `Standardizer`), then (D S D + λI) w = D s_xy, and D·w.
    /// `scatter` (d × d, upper triangle read) is overwritten. Nil when the system is not
    /// positive definite.
    static func standardizedWeights(scatter: inout Matrix, yScatter: [Double], count n: Int, penalty: Double) -> [Double]? {
        let d = scatter.cols, nd = Double(n)
        let std = (0..<d).map { (max(0, scatter[$0, $0]) / nd).squareRoot() }
        let floor = (std.max() ?? 0) * 1e-12
        let scale = std.map { $0 > floor && $0 > 0 ? 1 / $0 : 0 }
        scatter.storage.withUnsafeMutableBufferPointer { a in
            for r in 0..<d {
                for c in r..<d { a[r * d + c] *= scale[r] * scale[c] }
                a[r * d + r] += penalty
            }
        }
        let b = Matrix(rows: d, cols: 1, storage: (0..<d).map { scale[$0] * yScatter[$0] })
        guard let w = PositiveDefinite.solveIfDefinite(scatter, b)?.storage else { return nil }
        return (0..<d).map { w[$0] * scale[$0] }
    }

    /// Pooled held-out R² of the probe on per-position-mean residuals refitted without the
    /// held-out fold. No fit is needed: every training position's residuals sum to zero and share
    /// one position, so Zᵀ(y − ȳ) = Σ_groups (p − ȳ)·Σ z = 0 and the ridge weights are exactly 0.
    /// Each held-out token at a position the training rows support (≥ 2 of their branches) is
    /// predicted by the mean position of the training rows the view covers.
    public static func heldOutR2OfPositionMeans(positions: [Int], branches: [Int], rows: [Int], folds: [Int]) -> Double? {
        let labels = Set(rows.map { folds[$0] }).sorted()
        guard labels.count >= 2 else { return nil }
        var truth = [Int](), predicted = [Double]()
        for label in labels {
            let train = rows.filter { folds[$0] != label }
            let groups = PositionGroups(positions: train.map { positions[$0] }, branches: train.map { branches[$0] })
            let supported = Set(groups.positions)
            let covered = train.filter { supported.contains(positions[$0]) }
            let test = rows.filter { folds[$0] == label && supported.contains(positions[$0]) }
            guard covered.count >= 2, !test.isEmpty else { continue }
            let mean = Double(covered.reduce(0) { $0 + positions[$1] }) / Double(covered.count)
            truth += test.map { positions[$0] }
            predicted += test.map { _ in mean }
        }
        return r2(positions: truth, predicted: predicted)
    }
}
