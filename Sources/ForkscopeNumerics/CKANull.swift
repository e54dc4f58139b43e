/// The permutation null of linear CKA: what CKA gives when the pairing of tokens is destroyed.
/// Y's rows are shuffled against X's (a seeded Fisher–Yates shuffle per permutation), and CKA is
/// computed for each shuffle. Linear CKA of unrelated representations is not 0 but about
/// tr K · tr L / ((n − 1)‖K‖‖L‖) (the null's exact mean for centred K, L), high with few tokens in
/// many dimensions (Murphy, Zylberberg & Fyshe 2024); a CKA inside the null's band says nothing.
///
/// Centring commutes with a shuffle of rows, so each permutation π costs one pass over the
/// centred Gram matrices, Σᵢⱼ KᵢⱼL_π(i)π(j), and the n × n matrices are built once.
public struct CKANull: Sendable, Equatable {
    /// CKA under each permutation, in the order drawn.
    public let values: [Double]

    /// The permutations' mean.
    public var mean: Double { values.reduce(0, +) / Double(values.count) }

    /// The 95th percentile, interpolated linearly between order statistics (NumPy's default).
    public var p95: Double { Self.percentile(values, 0.95) }

    public static let permutations = 20

    /// The null of `x` against `y` (the same rows); nil below 4 rows or when either side has no
    /// variance. Permutation `p` shuffles with `SplitMix64(seed, p)` (`RandomStream`).
    public static func of(_ x: Matrix, _ y: Matrix, permutations: Int = permutations, seed: UInt64 = 0) -> CKANull? {
        precondition(x.rows == y.rows, "CKA needs the same tokens on both sides")
        let n = x.rows
        guard n >= 4, permutations >= 1 else { return nil }
        let kx = x.subtractingFromRows(x.columnMeans()).gramUpper()
        var ly = y.subtractingFromRows(y.columnMeans()).gramUpper()
        let xx = LinearCKA.symmetricInner(kx, kx), yy = LinearCKA.symmetricInner(ly, ly)
        guard xx > 0, yy > 0 else { return nil }
        for i in 0..<n { for j in 0..<i { ly[i, j] = ly[j, i] } }
        let scale = 1 / (xx.squareRoot() * yy.squareRoot())
        let values = (0..<permutations).map { p -> Double in
            let order = shuffled(n, seed: seed, permutation: p)
            return min(permutedInner(kx, ly, order) * scale, 1)
        }
        return CKANull(values: values)
    }

    /// A Fisher–Yates shuffle of 0..<n: for i from n − 1 down to 1, swap i with a uniform j ≤ i.
    static func shuffled(_ n: Int, seed: UInt64, permutation p: Int) -> [Int] {
        var order = Array(0..<n)
        var random = RandomStream(seed: seed, UInt64(p))
        for i in stride(from: n - 1, to: 0, by: -1) { order.swapAt(i, random.below(i + 1)) }
        return order
    }

    /// Σᵢⱼ KᵢⱼL_π(i)π(j), K given by its upper triangle, L in full.
    static func permutedInner(_ k: Matrix, _ l: Matrix, _ order: [Int]) -> Double {
        let n = k.rows
        var diagonal = 0.0, offDiagonal = 0.0
        k.storage.withUnsafeBufferPointer { k in
            l.storage.withUnsafeBufferPointer { l in
                order.withUnsafeBufferPointer { order in
                    for i in 0..<n {
                        let row = order[i] * n
                        diagonal += k[i * n + i] * l[row + order[i]]
                        var sum = 0.0
                        for j in (i + 1)..<n { sum += k[i * n + j] * l[row + order[j]] }
                        offDiagonal += sum
                    }
                }
            }
        }
        return diagonal + 2 * offDiagonal
    }

    static func percentile(_ values: [Double], _ q: Double) -> Double {
        let sorted = values.sorted()
        let h = Double(sorted.count - 1) * q, lower = Int(h)
        guard lower + 1 < sorted.count else { return sorted[lower] }
        return sorted[lower] + (h - Double(lower)) * (sorted[lower + 1] - sorted[lower])
    }
}
