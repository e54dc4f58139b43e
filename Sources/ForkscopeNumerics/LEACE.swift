/// LEAst-squares Concept Erasure (Belrose, Schneider-Joseph, Ravfogel, Cotterell, Raff & Biderman,
/// 2023, "LEACE: Perfect linear concept erasure in closed form", Theorem 4.3):
///
///     r(x) = x − Σ^{1/2} P Σ^{+1/2} (x − μ),   P = orthogonal projection onto col(Σ^{+1/2} Σ_xz)
///
/// After erasure no linear predictor of the concept z does better than a constant (the states'
/// covariance with z is zero), and among all such erasures r changes x the least in mean squared
/// norm. Computed in the thin SVD of the centred states Xc = U S Vᵀ, so that it stays exact when
/// the hidden size exceeds the number of tokens and Σ is singular: Σ^{±1/2} = V (S/√n)^{±1} Vᵀ and
/// Σ^{+1/2} Σ_xz = V Uᵀ Zc / √n, whence r(x) = x − V S Q Qᵀ S⁻¹ Vᵀ (x − μ) with Q an orthonormal
/// basis of col(Uᵀ Zc).
public struct LEACE: Sendable {
    let mean: [Double]
    /// d x r
    let v: Matrix
    /// r x r: S⁻¹ Q Qᵀ S, so that r(x) = x − ((x − μ) V) M Vᵀ
    let core: Matrix

    /// The rank of the erased subspace.
    public let erasedRank: Int

    /// - Parameters:
    ///   - states: n x d, the rows to fit on.
    ///   - concept: n x q, the concept's values for those rows (e.g. a basis of position or one-hot).
    /// Singular values at most this share of the largest count as zero unless told otherwise.
    public static let defaultRelativeTolerance = 1e-10

    public init(states: Matrix, concept: Matrix, relativeTolerance: Double = defaultRelativeTolerance) {
        precondition(states.rows == concept.rows)
        mean = states.columnMeans()
        let svd = ThinSVD(states.subtractingFromRows(mean), relativeTolerance: relativeTolerance)
        let r = svd.rank
        v = svd.v
        let zc = concept.subtractingFromRows(concept.columnMeans())
        let a = svd.u.multiplied(by: zc, transposeSelf: true)        // r x q
        // Directions of A count against the concept's own size: where the states do not covary
        // with z (e.g. already erased), A is rounding noise and nothing must be erased.
        let concept = zc.sumOfSquares.squareRoot()
        let q = ThinSVD(a, relativeTolerance: relativeTolerance, absoluteFloor: relativeTolerance * concept).u  // r x k
        erasedRank = q.cols
        let qqt = q.multiplied(by: q, transposeOther: true)         // r x r
        var core = Matrix(rows: r, cols: r)
        for i in 0..<r { for j in 0..<r { core[i, j] = qqt[i, j] * svd.s[j] / svd.s[i] } }
        self.core = core
    }

    public func erase(_ x: Matrix) -> Matrix {
        guard v.cols > 0 else { return x }
        let coordinates = x.subtractingFromRows(mean).multiplied(by: v)   // n x r
        return x - coordinates.multiplied(by: core).multiplied(by: v, transposeOther: true)
    }
}
