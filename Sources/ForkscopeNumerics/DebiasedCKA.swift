/// Debiased linear CKA: linear CKA (`LinearCKA`) with HSIC replaced by its unbiased estimator
/// (Song, Smola, Gretton, Bedo & Borgwardt, "Feature selection via dependence maximization",
/// JMLR 2012, eq. 5), as Nguyen, Raghu & Kornblith (ICLR 2021) and Murphy, Zylberberg & Fyshe
/// ("Correcting biased centered kernel alignment measures in biological and artificial neural
/// networks", 2024) use it. With few tokens in many dimensions, linear CKA of two unrelated
/// representations is far above 0 (its expectation under independence is about
/// tr K · tr L / ((n − 1)‖K‖‖L‖)); the debiased value is about 0 there and tends to CKA as n grows.
///
/// With K = XXᵀ, L = YYᵀ and K̃, L̃ their copies with a zero diagonal,
///
///     HSIC_u(K, L) = [tr(K̃L̃) + 1ᵀK̃1 · 1ᵀL̃1 / ((n − 1)(n − 2)) − 2/(n − 2) · 1ᵀK̃L̃1] / (n(n − 3)).
///
/// It is unchanged by a shift of either side, so the columns are centred first; then K̃1 = −a
/// (a the rows' squared norms), and in terms of LinearCKA's moments
///
///     n(n − 3) · HSIC_u = ‖YᵀX‖²_F + Σa · Σb / ((n − 1)(n − 2)) − n/(n − 2) · Σ aᵢbᵢ,
///
/// which costs what linear CKA costs, in either of its forms. HSIC_u is an inner product of the
/// U-centred Gram matrices (Székely & Rizzo 2014), so the value lies in [−1, 1].
public enum DebiasedCKA {
    /// Debiased CKA of the rows of `x` and `y` (the same count); nil below 4 rows or when either
    /// side's unbiased HSIC with itself is not positive.
    public static func similarity(_ x: Matrix, _ y: Matrix) -> Double? { withLinear(x, y).debiased }

    /// Linear CKA (exactly `LinearCKA.similarity`) and debiased CKA from one pass over the
    /// moments, which both need: `forkscope diff` gives both for every pair of views.
    public static func withLinear(_ x: Matrix, _ y: Matrix) -> (linear: Double?, debiased: Double?) {
        precondition(x.rows == y.rows, "CKA needs the same tokens on both sides")
        guard x.rows >= 2 else { return (nil, nil) }
        let xc = x.subtractingFromRows(x.columnMeans()), yc = y.subtractingFromRows(y.columnMeans())
        let moments = LinearCKA.moments(xc, yc), linear = LinearCKA.fromMoments(moments)
        guard x.rows >= 4 else { return (linear, nil) }
        let (cross, xx, yy) = moments
        let a = xc.rowSquaredNorms(), b = yc.rowSquaredNorms()
        let n = Double(x.rows), sa = a.reduce(0, +), sb = b.reduce(0, +)
        func hsic(_ moment: Double, _ s1: Double, _ s2: Double, _ dot: Double) -> Double {
            moment + s1 * s2 / ((n - 1) * (n - 2)) - n / (n - 2) * dot
        }
        let hxy = hsic(cross, sa, sb, zip(a, b).reduce(0) { $0 + $1.0 * $1.1 })
        let hxx = hsic(xx, sa, sa, a.reduce(0) { $0 + $1 * $1 }), hyy = hsic(yy, sb, sb, b.reduce(0) { $0 + $1 * $1 })
        guard hxx > 0, hyy > 0 else { return (linear, nil) }
        return (linear, min(max(hxy / (hxx.squareRoot() * hyy.squareRoot()), -1), 1))
    }
}
