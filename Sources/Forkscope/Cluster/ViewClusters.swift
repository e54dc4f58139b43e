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
public struct ViewClusters: Sendable, Equatable {
    public enum Method: String, Sendable { case hdbscan, kmeans }

    /// AMI and ARI of the clustering (the unclustered tokens one group) against each target.
    public struct Agreement: Sendable, Equatable {
        public var amiRoot, amiBranch, amiPosition, amiToken: Double
        public var ariRoot, ariBranch, ariPosition, ariToken: Double
    }

    /// The cluster count and unclustered share at a neighbouring min_cluster_size.
    public struct SweepPoint: Sendable, Equatable {
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
    public init?(states: Matrix, tokens: [Int], method: ClusterMethod, run: RunTokens) {
        guard tokens.count >= 2, states.rows == tokens.count else { return nil }
        let unit = Self.unitRows(states)
        let result: HDBSCAN.Result
        switch method {
        case .off:
            return nil
        case .hdbscan(let given):
            let m = given ?? HDBSCAN.defaultMinClusterSize(rows: tokens.count)
            let sizes = HDBSCAN.neighbouringSizes(of: m), minSamples = HDBSCAN.defaultMinSamples(minClusterSize: m)
            let (results, sampled) = HDBSCAN.cluster(unit, minClusterSizes: sizes, minSamples: minSamples)
            result = results[sizes.firstIndex(of: m)!]
            self.method = .hdbscan
            parameter = m
            self.minSamples = minSamples
            self.sampled = sampled
            sweep = zip(sizes, results).map { SweepPoint(minClusterSize: $0, count: $1.count, noiseShare: $1.noiseShare) }
        case .kmeans(let k):
            result = KMeans.cluster(unit, k: k)
            self.method = .kmeans
            parameter = k
            minSamples = nil
            sampled = tokens.count
            sweep = []
        }
        self.tokens = tokens
        labels = result.labels
        count = result.count
        noiseShare = result.noiseShare

        let positions = tokens.map { run.positions[$0] }, texts = tokens.map { run.texts[$0] }
        let roots = tokens.map { run.roots[$0] }, branches = tokens.map { run.branches[$0] }
        let deciles = Self.deciles(positions)
        agreement = Agreement(
            amiRoot: ClusterAgreement.adjustedMutualInformation(roots, labels),
            amiBranch: ClusterAgreement.adjustedMutualInformation(branches, labels),
            amiPosition: ClusterAgreement.adjustedMutualInformation(deciles, labels),
            amiToken: ClusterAgreement.adjustedMutualInformation(texts.map(TokenKey.init), labels),
            ariRoot: ClusterAgreement.adjustedRandIndex(roots, labels),
            ariBranch: ClusterAgreement.adjustedRandIndex(branches, labels),
            ariPosition: ClusterAgreement.adjustedRandIndex(deciles, labels),
            ariToken: ClusterAgreement.adjustedRandIndex(texts.map(TokenKey.init), labels))

        unitsAreRoots = Set(roots).count >= 2
        let units = unitsAreRoots ? roots : branches, unitCount = Set(units).count
        let lo = positions.min()!, hi = positions.max()!
        let topTokens = ClassTFIDF.top(terms: texts, classes: labels, limit: ClusterGroup.topTokenCount)
        var members = [Int: [Int]]()
        for (row, l) in labels.enumerated() { members[l, default: []].append(row) }
        let ids = Array(0..<count) + (members[-1] == nil ? [] : [-1])
        groups = ids.map { id in
            let rows = members[id]!
            let rowPositions = rows.map { positions[$0] }
            var histogram = [Int](repeating: 0, count: ClusterGroup.histogramBins)
            for p in rowPositions { histogram[ClusterGroup.histogramBin(p, lo: lo, hi: hi)] += 1 }
            return ClusterGroup(
                id: id, size: rows.count,
                kind: id < 0 ? .unclustered : ClusterGroup.kind(positions: rowPositions, texts: rows.map { texts[$0] },
                                                                units: rows.map { units[$0] }, positionRange: hi - lo, unitCount: unitCount),
                positionRange: rowPositions.min()!...rowPositions.max()!, histogram: histogram,
                roots: ClusterGroup.shares(rows.map { roots[$0] }, names: run.rootNames),
                branches: ClusterGroup.shares(rows.map { branches[$0] }, names: run.branchIDs),
                topTokens: topTokens[id] ?? [],
                exemplars: Self.nearestCentroid(unit, rows: rows, limit: ClusterGroup.exemplarCount).map { tokens[$0] })
        }
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

    /// The rows scaled to unit length (a zero row stays zero).
    static func unitRows(_ x: Matrix) -> Matrix {
        var out = x
        for (r, norm) in x.rowNorms().enumerated() where norm > 0 {
            for c in 0..<x.cols { out[r, c] /= norm }
        }
        return out
    }

    /// The `limit` rows nearest the mean of `rows` (Euclidean; ties to the lower row).
    static func nearestCentroid(_ x: Matrix, rows: [Int], limit: Int) -> [Int] {
        let centre = x.columnMeans(rows: rows)
        let distances = rows.map { r in (0..<x.cols).reduce(0.0) { let e = x[r, $1] - centre[$1]; return $0 + e * e } }
        return Array(rows.indices.sorted { distances[$0] != distances[$1] ? distances[$0] < distances[$1] : rows[$0] < rows[$1] }
            .prefix(limit).map { rows[$0] })
    }
}
