import ForkscopeNumerics

/// The clusters of one view's fit states at one layer, how well they agree with root prompts,
/// branches, position deciles and token identity (AMI, ARI), and what each cluster is made of
/// (`ClusterGroup`).
///
/// Clustering (HDBSCAN or k-means) runs in the view's full space under the geometry the
/// neighbourhood measures use, cosine: on the rows scaled to unit length, where Euclidean distance
/// is √(2 − 2 cos). Unscaled, distances in hundreds of dimensions concentrate and HDBSCAN calls
/// nearly every token noise (on the shared topics run, all of them in the middle layers of the
/// recommended view).
public struct ViewClusters: Sendable, Equatable, Codable {
    public enum Method: String, Sendable, Codable { case hdbscan, kmeans }

    /// AMI and ARI of the clustering (the unclustered tokens one group) against each target.
    public struct Agreement: Sendable, Equatable, Codable {
        public var amiRoot, amiBranch, amiPosition, amiToken: Double
        public var ariRoot, ariBranch, ariPosition, ariToken: Double
    }

    /// The cluster count and unclustered share at a neighbouring min_cluster_size.
    public struct SweepPoint: Sendable, Equatable, Codable {
        public let minClusterSize: Int
        public let count: Int
        public let noiseShare: Double
    }

    public let method: Method
    /// HDBSCAN's min_cluster_size, or k-means' k.
    public let parameter: Int
    /// HDBSCAN's min_samples.
    public let minSamples: Int?
    /// The run tokens clustered (the view's fit tokens, run order) and each one's cluster (−1: unclustered).
    public let tokens: [Int]
    public let labels: [Int]
    /// Rows HDBSCAN ran on (all of them up to `HDBSCAN.sampleLimit`); the rest took their nearest's label.
    public let sampled: Int
    public let count: Int
    public let noiseShare: Double
    /// HDBSCAN only: the count at neighbouring min_cluster_size values (`HDBSCAN.neighbouringSizes`).
    public let sweep: [SweepPoint]
    public let agreement: Agreement
    /// The clusters by id, then the unclustered tokens (id −1) if any.
    public let groups: [ClusterGroup]
    /// Whether content units are root prompts (the fit tokens span two or more) or branches.
    public let unitsAreRoots: Bool

    /// Clusters `states` (one row per token of `tokens`); nil with `.off` or fewer than 2 tokens.
    /// Rows with no direction (norm ≤ `Neighbours.zeroNormTolerance` × the largest, such as a
    /// prompt token every root shares, after `position_mean`) are left unclustered (−1): on the
    /// unit sphere they would sit at distance 1 ± rounding from every row, and rounding would
    /// decide the tree.
    public init?(states: Matrix, tokens: [Int], method: ClusterMethod, run: RunTokens) {
        guard tokens.count >= 2, states.rows == tokens.count else { return nil }
        let unit = Self.unitRows(states)
        let directed = unit.rowNorms().enumerated().filter { $0.element > 0 }.map(\.offset)
        let clustered = directed.count == unit.rows ? unit : unit.selectingRows(directed)
        func all(_ labels: [Int]) -> [Int] {
            var out = [Int](repeating: -1, count: tokens.count)
            for (k, r) in directed.enumerated() { out[r] = labels[k] }
            return out
        }
        let result: HDBSCAN.Result
        switch method {
        case .off:
            return nil
        case .hdbscan(let given):
            let m = given ?? HDBSCAN.defaultMinClusterSize(rows: tokens.count)
            let sizes = HDBSCAN.neighbouringSizes(of: m), minSamples = HDBSCAN.defaultMinSamples(minClusterSize: m)
            let (results, sampled) = HDBSCAN.cluster(clustered, minClusterSizes: sizes, minSamples: minSamples)
            let everyRow = results.map { HDBSCAN.renumbered(all($0.labels)) }
            result = everyRow[sizes.firstIndex(of: m)!]
            self.method = .hdbscan
            parameter = m
            self.minSamples = minSamples
            self.sampled = sampled
            sweep = zip(sizes, everyRow).map { SweepPoint(minClusterSize: $0, count: $1.count, noiseShare: $1.noiseShare) }
        case .kmeans(let k):
            result = HDBSCAN.renumbered(all(KMeans.cluster(clustered, k: k).labels))
            self.method = .kmeans
            parameter = k
            minSamples = nil
            sampled = directed.count
            sweep = []
        }
        self.tokens = tokens
        labels = result.labels
        count = result.count
        noiseShare = result.noiseShare

        let positions = tokens.map { run.positions[$0] }, texts = tokens.map { run.texts[$0] }
        let roots = tokens.map { run.roots[$0] }, branches = tokens.map { run.branches[$0] }
        let deciles = Self.deciles(positions), keys = texts.map(TokenKey.init)
        agreement = Agreement(
            amiRoot: ClusterAgreement.adjustedMutualInformation(roots, labels),
            amiBranch: ClusterAgreement.adjustedMutualInformation(branches, labels),
            amiPosition: ClusterAgreement.adjustedMutualInformation(deciles, labels),
            amiToken: ClusterAgreement.adjustedMutualInformation(keys, labels),
            ariRoot: ClusterAgreement.adjustedRandIndex(roots, labels),
            ariBranch: ClusterAgreement.adjustedRandIndex(branches, labels),
            ariPosition: ClusterAgreement.adjustedRandIndex(deciles, labels),
            ariToken: ClusterAgreement.adjustedRandIndex(keys, labels))

        (groups, unitsAreRoots) = ClusterGroup.summaries(labels: labels, unit: unit, tokens: tokens, run: run)
    }

    /// The cluster of each run token by run index, nil for tokens not clustered.
    public var labelOfToken: [Int: Int] { Dictionary(uniqueKeysWithValues: zip(tokens, labels)) }

    /// Each position's decile among `positions`: how many of the 10th, 20th, … 90th percentiles
    /// (linear interpolation) are at or below it.
    static func deciles(_ positions: [Int]) -> [Int] {
        let sorted = positions.sorted()
        let edges = (1...9).map { ClusterGroup.percentile(sorted, Double($0) / 10) }
        return positions.map { p in edges.filter { $0 <= Double(p) }.count }
    }

    /// The rows scaled to unit length; rows of norm at most `Neighbours.zeroNormTolerance` × the
    /// largest are set to zero (no direction), as the cosine neighbourhood measures take them.
    static func unitRows(_ x: Matrix) -> Matrix {
        var out = x
        let norms = x.rowNorms(), zero = Neighbours.zeroNormTolerance * (norms.max() ?? 0)
        for (r, norm) in norms.enumerated() {
            for c in 0..<x.cols { out[r, c] = norm > zero ? x[r, c] / norm : 0 }
        }
        return out
    }

    /// Each group's `limit` members nearest its centroid. Distances within 1e-7 × the largest
    /// distance of any row to that centroid count as tied (chaining, `Neighbours.order`) and go to
    /// the lower row: repeated tokens have states equal up to rounding. The members' distances are
    /// summed directly; the scale, from one GEMM of every row against every centroid (its rounding
    /// is far below the tolerance it sets).
    static func nearestCentroids(_ x: Matrix, groups: [[Int]], limit: Int) -> [[Int]] {
        guard !groups.isEmpty else { return [] }
        let centres = Matrix(rows: groups.count, cols: x.cols, storage: groups.flatMap { x.columnMeans(rows: $0) })
        let products = x.multiplied(by: centres, transposeOther: true)
        let rowSquares = x.rowNorms().map { $0 * $0 }, centreSquares = centres.rowNorms().map { $0 * $0 }
        return groups.enumerated().map { g, rows in
            var distances = [Double](repeating: 0, count: x.rows), largest = 0.0
            for r in 0..<x.rows { largest = max(largest, rowSquares[r] - 2 * products[r, g] + centreSquares[g]) }
            for r in rows { distances[r] = (0..<x.cols).reduce(0.0) { let e = x[r, $1] - centres[g, $1]; return $0 + e * e }.squareRoot() }
            let tolerance = Neighbours.euclideanTieTolerance * max(0, largest).squareRoot()
            return Array(Neighbours.order(rows, by: distances, tolerance: tolerance).prefix(limit))
        }
    }
}
