import CLapack

/// Linear centred kernel alignment (Kornblith, Norouzi, Lee & Hinton, "Similarity of Neural
/// Network Representations Revisited", ICML 2019, eq. 3 with linear kernels): for the same n
/// tokens as the rows of X (n × p) and Y (n × q), columns centred,
///
///     CKA(X, Y) = ‖YᵀX‖²_F / (‖XᵀX‖_F · ‖YᵀY‖_F),
///
/// 1 for a representation and itself, invariant to orthogonal maps and isotropic scaling of
/// either side, so hidden sizes may differ. It is deliberately not invariant to every invertible
/// linear map: a measure that is (CCA and its relatives) is 1 for any two representations with
/// more dimensions than tokens, whatever they hold (§3 of the paper).
///
/// Both forms of the numerator are used, whichever is cheaper: the feature-space cross products
/// above (n·(p² + q² + pq) flops), or the tokens' Gram matrices, as ‖YᵀX‖²_F = ⟨XXᵀ, YYᵀ⟩
/// (n²·(p + q) flops).
public enum LinearCKA {
    /// CKA of the rows of `x` and `y` (the same count); nil when either side has no variance.
    public static func similarity(_ x: Matrix, _ y: Matrix) -> Double? {
        precondition(x.rows == y.rows, "CKA needs the same tokens on both sides")
        guard x.rows >= 2 else { return nil }
        let xc = x.subtractingFromRows(x.columnMeans()), yc = y.subtractingFromRows(y.columnMeans())
        return fromMoments(moments(xc, yc))
    }

    /// CKA from `moments`; nil when either side has no variance.
    static func fromMoments(_ m: (cross: Double, xx: Double, yy: Double)) -> Double? {
        guard m.xx > 0, m.yy > 0 else { return nil }
        // In [0, 1] by Cauchy–Schwarz; rounding can overshoot 1 by an ulp or two.
        return min(m.cross / (m.xx.squareRoot() * m.yy.squareRoot()), 1)
    }

    /// ‖YᵀX‖²_F, ‖XᵀX‖²_F and ‖YᵀY‖²_F of column-centred X and Y, by whichever form is cheaper.
    static func moments(_ xc: Matrix, _ yc: Matrix) -> (cross: Double, xx: Double, yy: Double) {
        let n = Double(xc.rows), p = Double(xc.cols), q = Double(yc.cols)
        if n * (p + q) < p * p + q * q + p * q {
            let kx = xc.gramUpper(), ky = yc.gramUpper()
            return (symmetricInner(kx, ky), symmetricInner(kx, kx), symmetricInner(ky, ky))
        }
        let xy = xc.multiplied(by: yc, transposeSelf: true), sx = xc.crossProductUpper(), sy = yc.crossProductUpper()
        return (xy.sumOfSquares, symmetricInner(sx, sx), symmetricInner(sy, sy))
    }

    /// CKA of every pair (one of `xs`, one of `ys`; all with the same rows): |xs| × |ys|, from each
    /// side's Gram matrices scaled to unit norm, so each pair costs one inner product of n × n
    /// matrices. For the layer × layer map, on a sample of the tokens.
    public static func pairs(_ xs: [Matrix], _ ys: [Matrix]) -> Matrix {
        pairs(grams: xs.map(unitGram), ys.map(unitGram))
    }

    /// The same from unit-norm Gram matrices (`unitGram`), so a caller can keep those (n × n)
    /// rather than the states; NaN where either is nil.
    public static func pairs(grams gx: [Matrix?], _ gy: [Matrix?]) -> Matrix {
        var out = Matrix(rows: gx.count, cols: gy.count, repeating: .nan)
        for (b, g) in gy.enumerated() {
            guard let g else { continue }
            for a in gx.indices { if let f = gx[a] { out[a, b] = min(symmetricInner(f, g), 1) } }
        }
        return out
    }

    /// The upper triangle of the rows' centred Gram matrix scaled to unit Frobenius norm, so that
    /// CKA of two is their inner product; nil when the rows have no variance.
    public static func unitGram(_ m: Matrix) -> Matrix? {
        var g = m.subtractingFromRows(m.columnMeans()).gramUpper()
        let norm = symmetricInner(g, g).squareRoot()
        guard norm > 0 else { return nil }
        for i in 0..<g.rows { for j in i..<g.cols { g[i, j] /= norm } }
        return g
    }

    /// ⟨A, B⟩ = Σᵢⱼ AᵢⱼBᵢⱼ of two symmetric matrices given by their upper triangles.
    static func symmetricInner(_ a: Matrix, _ b: Matrix) -> Double {
        let n = a.rows
        var diagonal = 0.0, offDiagonal = 0.0
        a.storage.withUnsafeBufferPointer { a in
            b.storage.withUnsafeBufferPointer { b in
                for i in 0..<n {
                    diagonal += a[i * n + i] * b[i * n + i]
                    for j in (i + 1)..<n { offDiagonal += a[i * n + j] * b[i * n + j] }
                }
            }
        }
        return diagonal + 2 * offDiagonal
    }
}
