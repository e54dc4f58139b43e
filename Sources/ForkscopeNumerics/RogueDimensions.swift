/// Rogue dimensions (Timkey & van Schijndel, "All Bark and No Bite: Rogue Dimensions in
/// Transformer Language Models Obscure Representational Quality", 2021): the few dimensions that
/// make most of the cosine similarity between any two tokens' states.
///
/// With uᵢ = xᵢ/‖xᵢ‖ (0 for a zero row), the mean cosine similarity over ordered pairs i ≠ j is
/// Σₐ cₐ with cₐ = ((Σᵢ uᵢₐ)² − Σᵢ uᵢₐ²) / (n(n − 1)), dimension a's contribution: exact over
/// all pairs, in one pass, where the paper samples pairs.
public struct RogueDimensions: Sendable {
    /// The mean cosine similarity between distinct rows (nil under 2 rows).
    public let meanCosine: Double?
    /// Each dimension's contribution cₐ; they sum to `meanCosine`.
    public let contributions: [Double]

    /// The most dimensions `rogue` names: beyond this many, the similarity is spread, not rogue.
    public static let limit = 8
    /// Below this mean cosine similarity the states are close to isotropic and the contributions
    /// are mostly sampling noise (random directions in d dimensions average about 0 ± 1/√(n·d)):
    /// no dimension is called rogue. Contextual embeddings sit far above it (Ethayarajh 2019).
    public static let minimumMeanCosine = 0.1

    public init(_ x: Matrix) {
        let n = x.rows, d = x.cols
        var sums = [Double](repeating: 0, count: d), squares = sums
        for r in 0..<n {
            let row = x.row(r), start = row.startIndex
            let norm = row.reduce(0) { $0 + $1 * $1 }.squareRoot()
            guard norm > 0 else { continue }
            for a in 0..<d {
                let u = row[start + a] / norm
                sums[a] += u
                squares[a] += u * u
            }
        }
        guard n >= 2 else {
            meanCosine = nil
            contributions = []
            return
        }
        let pairs = Double(n) * Double(n - 1)
        contributions = (0..<d).map { (sums[$0] * sums[$0] - squares[$0]) / pairs }
        meanCosine = contributions.reduce(0, +)
    }

    /// The fewest dimensions that hold at least half the mean cosine similarity, largest
    /// contribution first (ties by lower index), each with its share of it; empty when more than
    /// `limit` are needed or the mean cosine similarity is below `minimumMeanCosine`.
    public var rogue: [(dimension: Int, share: Double)] {
        guard let total = meanCosine, total >= Self.minimumMeanCosine else { return [] }
        let order = contributions.indices.sorted { contributions[$0] != contributions[$1] ? contributions[$0] > contributions[$1] : $0 < $1 }
        var held = 0.0, out = [(dimension: Int, share: Double)]()
        for a in order.prefix(Self.limit) {
            held += contributions[a]
            out.append((a, contributions[a] / total))
            if held >= total / 2 { return out }
        }
        return []
    }
}
