import Foundation
import ForkscopeNumerics

/// How alike two model versions' states are at one pair of layers, view by view: linear CKA
/// (`LinearCKA`) between A and B, both PCA layouts with B's turned onto A's, and how much each
/// token's neighbourhood changed (`NeighbourChange`).
///
/// Each side is analysed as a build analyses it (`LayerAnalysis`, without UMAP): every view is
/// fitted once, on its own run, and the same fit serves the measures and the comparison. Views are
/// compared on the tokens both runs hold (`RunPairing.tokens`), both views cover and neither run
/// finds massive. CKA sums squared inner products, so one attention-sink token a hundred times
/// the median norm would decide it on its own; massive tokens are left out exactly as a build
/// leaves them out of its fits and measures (`LayerAnalysis.Options.massiveRatio`, `keepMassive`).
public struct LayerSimilarity: Sendable {
    public struct Entry: Sendable {
        public let view: View
        /// Nil where the view does not apply to both runs or either side has no variance.
        public let cka: Double?
        /// CKA's calibration on the same tokens: debiased CKA (`DebiasedCKA`, over every compared
        /// token) and the permutation null (`CKANull`, over the neighbour sample).
        public let ckaDebiased: Double?
        public let null: CKANull?
        /// Tokens compared: A's run tokens that both runs hold, both views cover and neither run
        /// finds massive.
        public let compared: [Int]
        public var tokens: Int { compared.count }
        /// A's PCA of the view, and B's turned onto it by orthogonal Procrustes over the compared
        /// tokens (rotation or reflection and shift, no scaling). Both indexed by A's run tokens;
        /// nil where the view does not apply to both runs.
        public let pcaA: Layout?, pcaB: Layout?
        /// `NeighbourChange` of each compared token, by A's run token index (nil for the others).
        public let neighbourChange: [Double?]
        /// The tokens the neighbour sets (and the null) were drawn from: every compared token, or an
        /// even sample of `neighbourSampleLimit` of them.
        public let neighbourTokens: Int
        /// Mutual k-NN agreement over those tokens (`NeighbourChange.agreement`).
        public var mutualKNN: Double? { NeighbourChange.agreement(neighbourChange) }

        /// Per branch of A's run (in its order), the A run tokens whose neighbourhoods changed
        /// most: the highest `neighbourChange` first, then the longest move in the aligned PCA,
        /// then the earliest; at most `count`, none with a change of 0.
        public func mostMoved(in run: ActivationRun, count: Int = movedPerBranch) -> [[Int]] {
            let offsets = run.branchOffsets
            func moved(_ t: Int) -> Double {
                guard let p = pcaA?.points[t], let q = pcaB?.points[t] else { return 0 }
                let dx: Double = p.x - q.x, dy: Double = p.y - q.y
                return (dx * dx + dy * dy).squareRoot()
            }
            return run.branches.indices.map { b in
                let tokens = (offsets[b]..<offsets[b] + run.branches[b].tokens.count).filter { (neighbourChange[$0] ?? 0) > 0 }
                let ranked: [(Int, Double, Double)] = tokens.map { ($0, neighbourChange[$0]!, moved($0)) }
                let ordered = ranked.sorted { x, y in
                    if x.1 != y.1 { return x.1 > y.1 }
                    if x.2 != y.2 { return x.2 > y.2 }
                    return x.0 < y.0
                }
                return ordered.prefix(count).map(\.0)
            }
        }
    }

    /// Model layer indices of A and B.
    public let layerA: Int, layerB: Int
    public var layerLabel: String { layerPairLabel(layerA, layerB) }
    public let entries: [Entry]

    /// The highest permutation-null 95th percentile of any view: the band the pages draw.
    public var highestNullP95: Double? { entries.compactMap { $0.null?.p95 }.max() }

    /// Tokens per branch that the pages and diff.json list as having moved most.
    public static let movedPerBranch = 5

    /// Neighbour sets cost a distance per pair of tokens: past this many compared tokens they are
    /// drawn from an even sample of them.
    public static let neighbourSampleLimit = 4_096

    public struct Side {
        public let run: ActivationRun
        public let layer: Int
        public let states: Matrix
        public let zeroPE: Matrix?

        public init(run: ActivationRun, layer: Int, states: Matrix, zeroPE: Matrix? = nil) {
            self.run = run; self.layer = layer; self.states = states; self.zeroPE = zeroPE
        }
    }

    /// Both sides' analyses and their comparison.
    public struct Outcome: Sendable {
        public let similarity: LayerSimilarity
        public let a: LayerAnalysis, b: LayerAnalysis
        /// Per view, the run tokens each side's view covers and fits (not massive), for samples
        /// that must hold in every layer.
        public let usableA: [View: [Bool]], usableB: [View: [Bool]]
    }

    /// The comparison alone (every view, no UMAP).
    public init(_ a: Side, _ b: Side, tokens: [(a: Int, b: Int)], views: [View], settings: DebiasSettings = DebiasSettings(),
                massiveRatio: Double = 10, keepMassive: Bool = false) {
        let options = Self.options(views: views, settings: settings, massiveRatio: massiveRatio, keepMassive: keepMassive)
        self = Self.compare(a, b, tokens: tokens, options: options).similarity
    }

    /// How each side is analysed for a comparison: as a build would, without UMAP.
    static func options(views: [View], settings: DebiasSettings, massiveRatio: Double, keepMassive: Bool) -> LayerAnalysis.Options {
        var options = LayerAnalysis.Options()
        options.views = views
        options.debias = settings
        options.massiveRatio = massiveRatio
        options.keepMassive = keepMassive
        options.projections = [.pca]
        return options
    }

    private init(layerA: Int, layerB: Int, entries: [Entry]) {
        self.layerA = layerA; self.layerB = layerB; self.entries = entries
    }

    /// Analyses A, then B; each of B's views is compared with A's as soon as it is fitted, so
    /// only A's fitted views are held meanwhile.
    public static func compare(_ a: Side, _ b: Side, tokens: [(a: Int, b: Int)], options: LayerAnalysis.Options) -> Outcome {
        let chain = Self.chain([a, b], pairs: [ChainPair(base: 0, version: 1, tokens: tokens)], options: options)
        return Outcome(similarity: chain.similarities[0], a: chain.analyses[0], b: chain.analyses[1],
                       usableA: chain.usable[0], usableB: chain.usable[1])
    }

    /// Two of a chain's sides to compare (`base` before `version`), and their tokens.
    struct ChainPair {
        let base: Int, version: Int
        let tokens: [(a: Int, b: Int)]
    }

    /// Several versions' states at one layer, each analysed once, in order (`forkscope diff` of a
    /// series). Each pair is compared as its version's views are fitted, so only the fitted views
    /// of sides that a later pair still compares against are held meanwhile.
    static func chain(_ sides: [Side], pairs: [ChainPair], options: LayerAnalysis.Options)
        -> (analyses: [LayerAnalysis], similarities: [LayerSimilarity], usable: [[View: [Bool]]]) {
        let kept = pairs.map { _ in Kept() }
        let usable = Usable(sides: sides.count)
        let analyses = sides.enumerated().map { v, side in
            LayerAnalysis(layer: side.layer, states: side.states, zeroPE: side.zeroPE, run: side.run, options: options) { view, states, fit in
                usable.record(v, view, states.usable(fit: fit))
                for (p, pair) in pairs.enumerated() {
                    if pair.version == v { kept[p].compare(view, states, fit, tokens: pair.tokens) }
                    if pair.base == v { kept[p].keep(view, states, fit) }
                }
            }
        }
        let similarities = pairs.enumerated().map { p, pair in
            let a = sides[pair.base], b = sides[pair.version]
            let entries = options.views.map { view in
                entry(view, kept[p].found[view], analyses[pair.base], analyses[pair.version], tokens: pair.tokens, countA: a.states.rows)
            }
            return LayerSimilarity(layerA: a.layer, layerB: b.layer, entries: entries)
        }
        return (analyses, similarities, usable.byView)
    }

    /// One view's entry from what its comparison found and both sides' layouts.
    private static func entry(_ view: View, _ found: Kept.Found?, _ analysisA: LayerAnalysis, _ analysisB: LayerAnalysis,
                              tokens: [(a: Int, b: Int)], countA: Int) -> Entry {
        let viewA = analysisA.views.first { $0.view == view }, viewB = analysisB.views.first { $0.view == view }
        guard let found, let viewA, let viewB else {
            return Entry(view: view, cka: nil, ckaDebiased: nil, null: nil, compared: [], pcaA: nil, pcaB: nil,
                         neighbourChange: [Double?](repeating: nil, count: countA), neighbourTokens: 0)
        }
        // B's layout on A's tokens, turned onto A's over the compared tokens.
        var onA = [Point?](repeating: nil, count: countA)
        let layoutA = viewA.layouts[.pca]!, layoutB = viewB.layouts[.pca]!
        for pair in tokens { onA[pair.a] = layoutB.points[pair.b] }
        let pcaB = Layout(points: onA, explainedVariance: layoutB.explainedVariance).aligned(to: layoutA, over: found.compared)
        var change = [Double?](repeating: nil, count: countA)
        for (t, c) in zip(found.sampled, found.change) { change[t] = c }
        return Entry(view: view, cka: found.cka, ckaDebiased: found.ckaDebiased, null: found.null, compared: found.compared,
                     pcaA: layoutA, pcaB: pcaB, neighbourChange: change, neighbourTokens: found.sampled.count)
    }

    /// Per side and view, the run tokens the view covers and fits (not massive).
    private final class Usable: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var byView: [[View: [Bool]]]
        init(sides: Int) { byView = Array(repeating: [:], count: sides) }
        func record(_ side: Int, _ view: View, _ usable: [Bool]) { lock.withLock { byView[side][view] = usable } }
    }

    /// A's fitted views until B's arrive, and what each pair of views gave.
    private final class Kept: @unchecked Sendable {
        struct Found {
            let cka: Double?, ckaDebiased: Double?
            let null: CKANull?
            /// A's run tokens compared, and those the neighbour sets were drawn from.
            let compared: [Int], sampled: [Int]
            let change: [Double?]
        }
        private let lock = NSLock()
        private var statesA = [View: (ViewStates, [Bool])]()
        private(set) var found = [View: Found]()

        func keep(_ view: View, _ states: ViewStates, _ fit: [Bool]) {
            lock.withLock { statesA[view] = (states, fit) }
        }

        func compare(_ view: View, _ b: ViewStates, _ fitB: [Bool], tokens: [(a: Int, b: Int)]) {
            guard let (a, fitA) = lock.withLock({ statesA.removeValue(forKey: view) }) else { return }
            let rowA = a.rows(count: fitA.count), rowB = b.rows(count: fitB.count)
            var matched = [(token: Int, a: Int, b: Int)]()
            for pair in tokens where fitA[pair.a] && fitB[pair.b] {
                if let ra = rowA[pair.a], let rb = rowB[pair.b] { matched.append((pair.a, ra, rb)) }
            }
            let xa = a.states.selectingRows(matched.map(\.a)), xb = b.states.selectingRows(matched.map(\.b))
            let (cka, debiased) = DebiasedCKA.withLinear(xa, xb)
            let sample = EvenSample.indices(matched.count, LayerSimilarity.neighbourSampleLimit)
            let (sa, sb) = sample.count == matched.count ? (xa, xb) : (xa.selectingRows(sample), xb.selectingRows(sample))
            let result = Found(cka: cka, ckaDebiased: debiased, null: CKANull.of(sa, sb),
                               compared: matched.map(\.token), sampled: sample.map { matched[$0].token }, change: NeighbourChange.of(sa, sb))
            lock.withLock { found[view] = result }
        }
    }
}

extension ViewStates {
    /// Per run token (of `fit.count`), whether the view covers it and it is a fit token.
    func usable(fit: [Bool]) -> [Bool] {
        var out = [Bool](repeating: false, count: fit.count)
        for t in tokens where fit[t] { out[t] = true }
        return out
    }

    /// The row of each of `count` run tokens in the view's states (nil where it is not covered).
    func rows(count: Int) -> [Int?] {
        var out = [Int?](repeating: nil, count: count)
        for (r, t) in tokens.enumerated() { out[t] = r }
        return out
    }
}
