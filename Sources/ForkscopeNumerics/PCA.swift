/// Exact principal component analysis (Pearson 1901; the eigen-decomposition formulation of
/// Jolliffe, *Principal Component Analysis*, 2002, ch. 1).
///
/// The covariance is decomposed in whichever space is smaller: the d x d scatter matrix XcᵀXc when
/// there are more tokens than dimensions, else the n x n Gram matrix XcXcᵀ, whose eigenvectors u
/// give the same scores u·sqrt(λ) (the "snapshot" method). Both are exact.
public struct PCA: Sendable {
    /// Unit principal directions, one per row (components x d).
    public let components: Matrix
    /// Share of the total variance along each component.
    public let explainedVarianceRatio: [Double]
    /// The mean subtracted before projecting.
    public let mean: [Double]
    /// Coordinates of the fitted rows (n x components).
    public let scores: Matrix

    /// Fits `count` components to the rows of `x`.
    ///
    /// Sign convention (so that builds are reproducible and comparable with the NumPy reference):
    /// each direction is flipped so that its entry of largest magnitude is positive (the first
    /// such entry on ties). Directions of zero variance are zero vectors with zero scores.
    public init(fitting x: Matrix, components count: Int = 2) {
        let n = x.rows, d = x.cols
        let mean = x.columnMeans()
        let centered = x.subtractingFromRows(mean)
        let k = count
        var components = Matrix(rows: k, cols: d)
        var ratios = [Double](repeating: 0, count: k)
        var scores = Matrix(rows: n, cols: k)
        // Centring data whose rows are all equal leaves rounding noise, not variance: anything
        // below this floor relative to the data's own size counts as zero.
        let noiseFloor = x.sumOfSquares * 1e-24
        let total = centered.sumOfSquares
        guard n >= 2, total > noiseFloor else {
            self.init(components: components, ratios: ratios, mean: mean, scores: scores)
            return
        }
        // Eigenvalues below this share of the total are numerical zeros.
        let negligible = max(total * 1e-13, noiseFloor)
        if n <= d {
            let (values, u) = SymmetricEigen.largest(k, of: centered.gramUpper())
            for j in 0..<values.count where values[j] > negligible {
                let s = values[j].squareRoot()
                // v = Xcᵀ u / sqrt(λ)
                for i in 0..<n {
                    let w = u[j, i] / s
                    if w == 0 { continue }
                    for c in 0..<d { components[j, c] += w * centered[i, c] }
                }
                ratios[j] = values[j] / total
            }
            for j in 0..<k { Self.orientByLargestEntry(&components, row: j) }
        } else {
            (components, ratios) = Self.directions(scatter: centered.crossProductUpper(), total: total, negligible: negligible, count: k)
        }
        for j in 0..<k {
            for i in 0..<n {
                var dot = 0.0
                for c in 0..<d { dot += centered[i, c] * components[j, c] }
                scores[i, j] = dot
            }
        }
        self.init(components: components, ratios: ratios, mean: mean, scores: scores)
    }

    /// PCA from the scatter matrix S = Σ (x − μ)(x − μ)ᵀ (upper triangle read) of `rows` rows
    /// with mean μ and sum of squares Σ‖x‖² (for the noise floor), as `init(fitting:)` but with
    /// no scores: `project` maps any rows. For callers that already hold S, or build it from
    /// moments shared with other fits.
    public init(scatter: Matrix, mean: [Double], rows n: Int, sumOfSquares: Double, components count: Int = 2) {
        let total = (0..<scatter.rows).reduce(0.0) { $0 + scatter[$1, $1] }
        let noiseFloor = sumOfSquares * 1e-24
        guard n >= 2, total > noiseFloor else {
            self.init(components: Matrix(rows: count, cols: scatter.cols), ratios: [Double](repeating: 0, count: count),
                      mean: mean, scores: Matrix(rows: 0, cols: count))
            return
        }
        let (components, ratios) = Self.directions(scatter: scatter, total: total, negligible: max(total * 1e-13, noiseFloor), count: count)
        self.init(components: components, ratios: ratios, mean: mean, scores: Matrix(rows: 0, cols: count))
    }

    /// Coordinates of any rows: (x − mean)·componentsᵀ, without a centred copy of x.
    public func project(_ x: Matrix) -> Matrix {
        var out = x.multiplied(by: components, transposeOther: true)
        let shift = (0..<components.rows).map { j in (0..<mean.count).reduce(0.0) { $0 + mean[$1] * components[j, $1] } }
        for i in 0..<out.rows { for j in 0..<out.cols { out[i, j] -= shift[j] } }
        return out
    }

    /// The top eigenvectors of a scatter matrix as oriented unit directions (zero vectors for
    /// negligible eigenvalues), with their shares of `total`.
    private static func directions(scatter: Matrix, total: Double, negligible: Double, count k: Int) -> (Matrix, [Double]) {
        let d = scatter.cols
        var components = Matrix(rows: k, cols: d)
        var ratios = [Double](repeating: 0, count: k)
        let (values, v) = SymmetricEigen.largest(k, of: scatter)
        for j in 0..<values.count where values[j] > negligible {
            for c in 0..<d { components[j, c] = v[j, c] }
            ratios[j] = values[j] / total
        }
        for j in 0..<k { orientByLargestEntry(&components, row: j) }
        return (components, ratios)
    }

    private init(components: Matrix, ratios: [Double], mean: [Double], scores: Matrix) {
        self.components = components
        self.explainedVarianceRatio = ratios
        self.mean = mean
        self.scores = scores
    }

    private static func orientByLargestEntry(_ m: inout Matrix, row j: Int) {
        var best = 0.0, sign = 1.0
        for c in 0..<m.cols where abs(m[j, c]) > best {
            best = abs(m[j, c])
            sign = m[j, c] < 0 ? -1 : 1
        }
        if sign < 0 { for c in 0..<m.cols { m[j, c] = -m[j, c] } }
    }
}
