import ForkscopeNumerics

/// What one cluster (or the unclustered tokens) of a view at a layer is made of: its size, where
/// its tokens sit (positions), whose they are (root prompts, branches), what they say (c-TF-IDF
/// top tokens) and the members nearest its centre; and, from these, whether it is a cluster of
/// position, of one token, of content, or mixed (`Kind`, docs/views-and-measures.md).
public struct ClusterGroup: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, CaseIterable, Codable {
        case position, token, content, mixed, unclustered
    }

    public struct Share: Sendable, Equatable, Codable {
        public let name: String
        public let share: Double
    }

    /// 0, 1, … by size, largest first; −1 for the unclustered tokens.
    public let id: Int
    public let size: Int
    public let kind: Kind
    public let positionRange: ClosedRange<Int>
    /// Counts in 10 equal bins over the positions of the view's fit tokens (`histogramBin`).
    public let histogram: [Int]
    public let roots: [Share]
    public let branches: [Share]
    public let topTokens: [ClassTFIDF.Term]
    /// Run token indices of the members nearest the cluster's centroid, nearest first.
    public let exemplars: [Int]

    public static let histogramBins = 10
    public static let exemplarCount = 5
    public static let topTokenCount = 5

    // The label rules, in the order they are tried.
    /// Position: the central 80% of the cluster's positions (10th to 90th percentile) spans at most
    /// this share of the fit tokens' position range, and the cluster holds tokens of at least half
    /// the content units (and at least 2).
    public static let positionSpan = 0.1
    /// Token: one token text makes up at least this share of the cluster.
    public static let tokenShare = 0.5
    /// Content: one content unit (root prompt, or branch in a run of one root) holds this share.
    public static let contentShare = 0.75

    /// Every group of a clustering: the clusters in id order, then the unclustered tokens (−1).
    /// - Parameters:
    ///   - labels: each row's cluster (−1 unclustered).
    ///   - unit: the rows in the clustering's geometry (for the exemplars).
    ///   - tokens: the run token of each row.
    /// - Returns: the groups, and whether the content units are root prompts (else branches).
    static func summaries(labels: [Int], unit: Matrix, tokens: [Int], run: RunTokens) -> (groups: [ClusterGroup], unitsAreRoots: Bool) {
        let positions = tokens.map { run.positions[$0] }, texts = tokens.map { run.texts[$0] }
        let roots = tokens.map { run.roots[$0] }, branches = tokens.map { run.branches[$0] }
        let unitsAreRoots = Set(roots).count >= 2
        let units = unitsAreRoots ? roots : branches, unitCount = Set(units).count
        let lo = positions.min() ?? 0, hi = positions.max() ?? 0
        let topTokens = ClassTFIDF.top(terms: texts, classes: labels, limit: topTokenCount)
        var members = [Int: [Int]]()
        for (row, l) in labels.enumerated() { members[max(l, -1), default: []].append(row) }
        let ids = members.keys.filter { $0 >= 0 }.sorted() + (members[-1] == nil ? [] : [-1])
        let exemplars = ViewClusters.nearestCentroids(unit, groups: ids.map { members[$0]! }, limit: exemplarCount)
        let groups = ids.enumerated().map { i, id in
            let rows = members[id]!
            let rowPositions = rows.map { positions[$0] }
            var histogram = [Int](repeating: 0, count: histogramBins)
            for p in rowPositions { histogram[histogramBin(p, lo: lo, hi: hi)] += 1 }
            return ClusterGroup(
                id: id, size: rows.count,
                kind: id < 0 ? .unclustered : kind(positions: rowPositions, texts: rows.map { texts[$0] },
                                                   units: rows.map { units[$0] }, positionRange: hi - lo, unitCount: unitCount),
                positionRange: rowPositions.min()!...rowPositions.max()!, histogram: histogram,
                roots: shares(rows.map { roots[$0] }, names: run.rootNames),
                branches: shares(rows.map { branches[$0] }, names: run.branchIDs),
                topTokens: topTokens[id] ?? [],
                exemplars: exemplars[i].map { tokens[$0] })
        }
        return (groups, unitsAreRoots)
    }

    /// The bin of position `p` among 10 equal bins over `lo…hi`.
    static func histogramBin(_ p: Int, lo: Int, hi: Int) -> Int {
        min(histogramBins - 1, histogramBins * (p - lo) / (hi - lo + 1))
    }

    /// The label of a cluster from its members' positions, texts and content units.
    /// - Parameters:
    ///   - positionRange: max − min of the positions of the view's fit tokens.
    ///   - unitCount: how many content units the view's fit tokens span.
    static func kind(positions: [Int], texts: [String], units: [Int], positionRange: Int, unitCount: Int) -> Kind {
        let sorted = positions.sorted()
        let span = Self.percentile(sorted, 0.9) - Self.percentile(sorted, 0.1)
        let unitCounts = Dictionary(units.map { ($0, 1) }, uniquingKeysWith: +)
        if span <= positionSpan * Double(positionRange), unitCounts.count >= max(2, (unitCount + 1) / 2) { return .position }
        let size = Double(positions.count)
        if let top = Dictionary(texts.map { (TokenKey($0), 1) }, uniquingKeysWith: +).values.max(), Double(top) >= tokenShare * size { return .token }
        if let top = unitCounts.values.max(), Double(top) >= contentShare * size { return .content }
        return .mixed
    }

    /// The q-quantile of sorted values by linear interpolation, computed as NumPy's `quantile`
    /// does (its lerp from the nearer end), so that a decile edge on an integer is exact.
    static func percentile(_ sorted: [Int], _ q: Double) -> Double {
        let v = Double(sorted.count - 1) * q, j = Int(v.rounded(.down)), t = v - Double(j)
        guard j + 1 < sorted.count else { return Double(sorted[j]) }
        let a = Double(sorted[j]), b = Double(sorted[j + 1])
        return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t
    }

    /// Shares of each name among `values`, largest first (ties by name in code-point order).
    static func shares(_ values: [Int], names: [String]) -> [Share] {
        let counts = Dictionary(values.map { ($0, 1) }, uniquingKeysWith: +)
        return counts.map { Share(name: names[$0.key], share: Double($0.value) / Double(values.count)) }
            .sorted { $0.share != $1.share ? $0.share > $1.share
                : $0.name.unicodeScalars.lexicographicallyPrecedes($1.name.unicodeScalars) { $0.value < $1.value } }
    }
}
