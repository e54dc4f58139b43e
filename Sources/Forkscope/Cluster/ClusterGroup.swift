import ForkscopeNumerics

/// What one cluster (or the unclustered tokens) of a view at a layer is made of: its size, where
/// its tokens sit (positions), whose they are (root prompts, branches), what they say (c-TF-IDF
/// top tokens) and the members nearest its centre; and, from these, whether it is a cluster of
/// position, of one token, of content, or mixed (`Kind`, docs/views-and-measures.md).
public struct ClusterGroup: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case position, token, content, mixed, unclustered
    }

    public struct Share: Sendable, Equatable {
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
