/// Orthogonal Procrustes (Schönemann, "A generalized solution of the orthogonal Procrustes
/// problem", Psychometrika 1966): the rotation or reflection R minimising ‖(B − b̄)R − (A − ā)‖_F
/// over the rows both layouts share, R = U Vᵀ from the SVD (B − b̄)ᵀ(A − ā) = U Σ Vᵀ. No scaling.
public struct Procrustes: Sendable {
    /// k × k orthogonal.
    public let rotation: Matrix
    public let movingMean: [Double]
    public let targetMean: [Double]

    /// Fits on the rows of `moving` and `target` that correspond (same row index, same count).
    public init(moving: Matrix, target: Matrix) {
        precondition(moving.rows == target.rows && moving.cols == target.cols)
        movingMean = moving.columnMeans(); targetMean = target.columnMeans()
        let m = moving.subtractingFromRows(movingMean), t = target.subtractingFromRows(targetMean)
        let cross = m.multiplied(by: t, transposeSelf: true)  // k x k
        // Every singular value kept, zeros included: U Vᵀ is still a best rotation when the layouts
        // are collinear (then it is not unique). Only an all-zero cross matrix leaves nothing to fit.
        let svd = ThinSVD(cross, relativeTolerance: -1, absoluteFloor: -1)
        if svd.rank == cross.rows {
            rotation = svd.u.multiplied(by: svd.v, transposeOther: true)
        } else {
            var identity = Matrix(rows: moving.cols, cols: moving.cols)
            for i in 0..<moving.cols { identity[i, i] = 1 }
            rotation = identity
        }
    }

    /// (x − moving mean) R + target mean, for every row of `x`.
    public func apply(_ x: Matrix) -> Matrix {
        var y = x.subtractingFromRows(movingMean).multiplied(by: rotation)
        for r in 0..<y.rows { for c in 0..<y.cols { y[r, c] += targetMean[c] } }
        return y
    }
}
