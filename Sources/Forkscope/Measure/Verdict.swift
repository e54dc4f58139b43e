/// What the front page concludes from the measures: whether one token dominates, where position
/// is strong in the raw states, and which view best separates content with position removed.
/// Decisions only; `VerdictText` (Render) says them in words.
public struct Verdict: Sendable {
    /// A probe R² at most this is "near chance": position is not linearly decodable.
    public static let probeNearChance = 0.2
    /// A held-out probe R² at least this means position is linearly decodable.
    public static let probeDecodable = 0.5
    /// Massive tokens holding at least this share of a layer's raw variance dominate it.
    public static let dominantShare = 0.5

    /// One token holding most of the raw variance at some layers: an attention sink.
    public struct Dominance: Sendable {
        /// The layers where massive tokens hold at least `dominantShare` of the variance.
        public let layers: [Int]
        /// The run token (run order) with the largest norm ratio at the most dominated layer.
        public let token: Int
        /// Its largest norm ratio over all layers, and the largest share massive tokens hold.
        public let ratio: Double, share: Double
        /// Whether massive tokens were kept out of fits and measures.
        public let excluded: Bool
    }

    /// Position in the raw states over the layers.
    public struct RawPosition: Sendable {
        /// Least and most variance position explains (position R²), and its chance level.
        public let explained: ClosedRange<Double>
        public let chance: Double?
        /// Layers where the held-out probe R² is at least `probeDecodable`.
        public let decodable: [Int]
    }

    public let dominance: Dominance?
    public let rawPosition: RawPosition?
    /// The middle third of the layers, over which `content` is chosen.
    public let middleLayers: [Int]
    public let content: ContentView?

    public init(analyses: [LayerAnalysis]) {
        let dominated = analyses.filter { $0.massiveVarianceShare >= Self.dominantShare }
        if let worst = dominated.max(by: { $0.massiveVarianceShare < $1.massiveVarianceShare }),
           let top = worst.massive.max(by: { $0.normRatio < $1.normRatio }) {
            let ratio = analyses.flatMap { $0.massive.filter { $0.token == top.token }.map(\.normRatio) }.max() ?? top.normRatio
            dominance = Dominance(layers: dominated.map(\.layer), token: top.token, ratio: ratio, share: worst.massiveVarianceShare,
                                  excluded: analyses.first?.massiveExcluded == true)
        } else {
            dominance = nil
        }

        let raw = analyses.compactMap { a in a.views.first { $0.view == .raw }.map { (a.layer, $0.measures) } }
        let explained = raw.compactMap { $0.1[.positionR2] }
        if let lo = explained.min(), let hi = explained.max() {
            rawPosition = RawPosition(explained: lo...hi, chance: raw.compactMap { $0.1[.positionR2Chance] }.first,
                                      decodable: raw.filter { ($0.1[.positionProbe] ?? -1) >= Self.probeDecodable }.map(\.0))
        } else {
            rawPosition = nil
        }
        middleLayers = Self.middleThird(analyses).map(\.layer)
        content = Self.contentView(analyses)
    }

    /// The debiased view that best shows content, over the middle third of the layers: of the views
    /// whose mean position probe is near chance, the one with the highest root kNN purity; if none
    /// is, the one with the lowest probe (`nearChance` false). Nil without a debiased view measured.
    public struct ContentView: Sendable {
        public let view: View
        /// Mean held-out probe R² and root kNN purity over the middle layers.
        public let probe: Double, purity: Double
        public let nearChance: Bool
        /// The raw view's mean root kNN purity over the same layers.
        public let rawPurity: Double?
    }

    public static func contentView(_ analyses: [LayerAnalysis]) -> ContentView? {
        let middle = middleThird(analyses)
        func mean(_ view: View, _ id: Measure.ID) -> Double? {
            let values = middle.compactMap { a in a.views.first { $0.view == view }.flatMap { $0.measures[id] } }
            return values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
        }
        let candidates = (analyses.first?.views.map(\.view) ?? []).filter { $0 != .raw }.compactMap { v -> (View, Double, Double)? in
            guard let probe = mean(v, .positionProbe), let purity = mean(v, .rootKnnPurity) else { return nil }
            return (v, probe, purity)
        }
        let rawPurity = mean(.raw, .rootKnnPurity)
        if let best = candidates.filter({ $0.1 <= probeNearChance }).max(by: { $0.2 < $1.2 }) {
            return ContentView(view: best.0, probe: best.1, purity: best.2, nearChance: true, rawPurity: rawPurity)
        }
        return candidates.min(by: { $0.1 < $1.1 }).map {
            ContentView(view: $0.0, probe: $0.1, purity: $0.2, nearChance: false, rawPurity: rawPurity)
        }
    }

    /// The middle third of the layers (at least one).
    static func middleThird(_ analyses: [LayerAnalysis]) -> [LayerAnalysis] {
        let n = analyses.count
        guard n >= 3 else { return analyses }
        return Array(analyses[(n / 3)..<(n - n / 3)])
    }
}
