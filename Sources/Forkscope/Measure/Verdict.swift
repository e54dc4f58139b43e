/// What the front page concludes from the measures: whether one token dominates, where position
/// is strong in the raw states, how much of the branches' sameness z-scoring and removing position
/// undo (`Attribution`), and which view to look at for content (`recommended`).
/// Decisions only; `VerdictText` (Render) says them in words.
public struct Verdict: Sendable {
    /// A probe R² at most this is "near chance": position is not linearly decodable.
    public static let probeNearChance = 0.2
    /// A held-out probe R² at least this means position is linearly decodable; a kNN probe
    /// selectivity at least this means position is nonlinearly readable.
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

    /// A view's means over the middle layers, as the choice of a view weighs them.
    public struct ContentView: Sendable {
        public let view: View
        /// Mean held-out probe R² and content measure (root or branch kNN purity).
        public let probe: Double, purity: Double
        /// Mean kNN position R², its control and their difference, where measured.
        public let positionKNN: Double?, control: Double?, selectivity: Double?
        /// Whether the linear probe is near chance.
        public let nearChance: Bool
        /// The raw view's mean content measure over the same layers.
        public let rawPurity: Double?
        /// Position linearly near chance but still nonlinearly readable (selectivity ≥ `probeDecodable`).
        public var nonlinearlyReadable: Bool { (selectivity ?? -.infinity) >= Verdict.probeDecodable }
    }

    /// The rogue dimensions named at the middle layers: the most frequent first.
    public struct Rogue: Sendable {
        /// Middle layers where at most 8 dimensions hold half the mean cosine similarity.
        public let layers: [Int]
        public let dimensions: [Int]
        /// The largest share the named dimensions hold together at one of those layers.
        public let share: Double
    }

    /// What a view's clusters follow over the middle layers: the mean AMI of its clusters with
    /// position deciles, with the content unit (root prompts, or branches in a run of one root)
    /// and with token identity, and the largest of them if it reaches `clustersFollowAMI`.
    public struct Clustering: Sendable {
        public enum Target: String, Sendable { case position, content, token }
        public let view: View
        public let position: Double, content: Double, token: Double
        public var follows: Target? {
            let best = [(Target.position, position), (.content, content), (.token, token)].max { $0.1 < $1.1 }!
            return best.1 >= Verdict.clustersFollowAMI ? best.0 : nil
        }
    }

    /// Clusters whose best mean AMI is below this follow none of position, content or tokens.
    public static let clustersFollowAMI = 0.05

    public let dominance: Dominance?
    public let rawPosition: RawPosition?
    /// The middle third of the layers, over which views are compared.
    public let middleLayers: [Int]
    /// root_knn_purity, or branch_knn_purity when the run has one root prompt.
    public let contentMeasure: Measure.ID
    /// The view to look at for content with position removed (report.json's `recommended_view`).
    public let content: ContentView?
    public let attribution: Attribution?
    public let rogue: Rogue?
    /// What the clusters follow in the raw states and in the recommended view, where clustered.
    public let clustering: [Clustering]
    /// Every view's measures averaged over the middle layers.
    let means: [View: [Measure.ID: Double]]

    public init(analyses: [LayerAnalysis], run: ActivationRun) {
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
        let middle = Self.middleThird(analyses)
        middleLayers = middle.map(\.layer)
        means = Self.means(middle)
        contentMeasure = Self.contentMeasure(run)
        let built = analyses.first?.views.map(\.view) ?? []
        content = Self.choose(among: Self.removingPosition(built), means: means, content: contentMeasure)
        attribution = Attribution(views: built, means: means, content: contentMeasure)

        let contentAMI: Measure.ID = contentMeasure == .rootKnnPurity ? .clusterAmiRoot : .clusterAmiBranch
        clustering = ([View.raw] + (content.map { [$0.view] } ?? [])).compactMap { [means] v in
            guard let p = means[v]?[.clusterAmiPosition], let c = means[v]?[contentAMI], let t = means[v]?[.clusterAmiToken] else { return nil }
            return Clustering(view: v, position: p, content: c, token: t)
        }

        let named = middle.filter { !$0.rogueDimensions.isEmpty }
        var counts = [Int: Int]()
        for a in named { for r in a.rogueDimensions { counts[r.dimension, default: 0] += 1 } }
        rogue = named.isEmpty ? nil : Rogue(
            layers: named.map(\.layer),
            dimensions: counts.keys.sorted { counts[$0]! != counts[$1]! ? counts[$0]! > counts[$1]! : $0 < $1 },
            share: named.map { $0.rogueDimensions.reduce(0) { $0 + $1.share } }.max()!)
    }

    /// A view's mean of a measure over the middle layers, where it has one.
    public func mean(_ view: View, _ id: Measure.ID) -> Double? { means[view]?[id] }

    /// The neighbourhood measure of content: whether a token's neighbours share its root prompt,
    /// or, in a run of one root prompt, its branch.
    public static func contentMeasure(_ run: ActivationRun) -> Measure.ID {
        Set(run.tokenRootGroups).count >= 2 ? .rootKnnPurity : .branchKnnPurity
    }

    /// The recommended view: of the views that remove position, `choose`'s pick.
    public static func recommended(_ analyses: [LayerAnalysis], content: Measure.ID) -> ContentView? {
        choose(among: removingPosition(analyses.first?.views.map(\.view) ?? []), means: means(middleThird(analyses)), content: content)
    }

    /// The views that remove position: all but raw and raw+z.
    static func removingPosition(_ views: [View]) -> [View] { views.filter { $0.base != .raw } }

    /// Over the middle third of the layers: of the views whose mean linear probe is near chance and
    /// in which position is not nonlinearly readable, the one with the most content; else of those
    /// near chance linearly, the one with the most content; else the one with the lowest probe.
    /// Ties go to the first in `views`' order. Nil when no view has both means.
    /// - Parameter means: each view's measures averaged over the middle layers (`means(_:)`).
    static func choose(among views: [View], means: [View: [Measure.ID: Double]], content: Measure.ID) -> ContentView? {
        func mean(_ view: View, _ id: Measure.ID) -> Double? { means[view]?[id] }
        let rawPurity = mean(.raw, content)
        let candidates = views.compactMap { v -> ContentView? in
            guard let probe = mean(v, .positionProbe), let purity = mean(v, content) else { return nil }
            return ContentView(view: v, probe: probe, purity: purity, positionKNN: mean(v, .positionKnnR2),
                               control: mean(v, .positionKnnR2Control), selectivity: mean(v, .positionKnnSelectivity),
                               nearChance: probe <= probeNearChance, rawPurity: rawPurity)
        }
        func most(_ c: [ContentView]) -> ContentView? { c.reduce(nil) { best, v in best.map { v.purity > $0.purity ? v : $0 } ?? v } }
        let linear = candidates.filter(\.nearChance)
        return most(linear.filter { !$0.nonlinearlyReadable }) ?? most(linear)
            ?? candidates.reduce(nil) { best, v in best.map { v.probe < $0.probe ? v : $0 } ?? v }
    }

    /// Each view's mean of each measure over `layers`, over the layers where it has a value.
    static func means(_ layers: [LayerAnalysis]) -> [View: [Measure.ID: Double]] {
        var sums = [View: [Measure.ID: (Double, Int)]]()
        for a in layers {
            for v in a.views {
                for (id, value) in v.measures.values {
                    let (sum, count) = sums[v.view, default: [:]][id] ?? (0, 0)
                    sums[v.view, default: [:]][id] = (sum + value, count + 1)
                }
            }
        }
        return sums.mapValues { $0.mapValues { $0.0 / Double($0.1) } }
    }

    /// The middle third of the layers (at least one).
    static func middleThird(_ analyses: [LayerAnalysis]) -> [LayerAnalysis] {
        let n = analyses.count
        guard n >= 3 else { return analyses }
        return Array(analyses[(n / 3)..<(n - n / 3)])
    }
}
