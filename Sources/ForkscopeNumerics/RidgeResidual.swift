/// Residuals of a ridge regression of the states on features of each token (here: a smooth basis
/// of position), fitted on some rows and applied to any. Features are standardised on the fit rows
/// (constant ones dropped) and the penalty is λ = `penaltyPerRow` · n, so its strength does not
/// depend on the features' units or the number of tokens.
public struct RidgeResidual: Sendable {
    let features: Standardizer
    let kept: [Int]
    let stateMean: [Double]
    /// kept features x d
    let coefficients: Matrix

    /// λ per row unless told otherwise.
    public static let defaultPenaltyPerRow = 1e-3

    public init(states: Matrix, features f: Matrix, penaltyPerRow: Double = defaultPenaltyPerRow) {
        precondition(states.rows == f.rows)
        features = Standardizer(fitting: f)
        kept = features.keptColumns
        stateMean = states.columnMeans()
        let phi = features.apply(f).selectingColumns(kept)
        let centred = states.subtractingFromRows(stateMean)
        var gram = phi.multiplied(by: phi, transposeSelf: true)
        for i in 0..<gram.rows { gram[i, i] += penaltyPerRow * Double(states.rows) }
        coefficients = kept.isEmpty ? Matrix(rows: 0, cols: states.cols)
                                    : PositiveDefinite.solve(gram, phi.multiplied(by: centred, transposeSelf: true))
    }

    /// x − x̄ − φ(x)·B for each row.
    public func residuals(states: Matrix, features f: Matrix) -> Matrix {
        let centred = states.subtractingFromRows(stateMean)
        guard !kept.isEmpty else { return centred }
        return centred - features.apply(f).selectingColumns(kept).multiplied(by: coefficients)
    }

    /// The weights w = (XᵀX + λI)⁻¹Xᵀy of a ridge regression of one response (a probe) on the
    /// columns of `x`, through whichever of the d x d and n x n systems is smaller.
    static func solveVector(_ x: Matrix, _ y: [Double], penalty: Double) -> [Double] {
        let d = x.cols
        let yMatrix = Matrix(rows: y.count, cols: 1, storage: y)
        if x.rows < d {
            // Dual form: w = Xᵀ (XXᵀ + λI)⁻¹ y, the same solution through an n x n system.
            var k = x.multiplied(by: x, transposeOther: true)
            for i in 0..<k.rows { k[i, i] += penalty }
            return x.multiplied(by: PositiveDefinite.solve(k, yMatrix), transposeSelf: true).storage
        }
        var g = x.multiplied(by: x, transposeSelf: true)
        for i in 0..<d { g[i, i] += penalty }
        return PositiveDefinite.solve(g, x.multiplied(by: yMatrix, transposeSelf: true)).storage
    }
}
