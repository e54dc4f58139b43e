import Foundation
import ForkscopeNumerics

/// `forkscope diff` on two runs, in two passes over their layers.
///
/// 1. Pair the runs (`RunPairing`). For each pair of layers, read both, analyse each side as a
///    build would (`LayerAnalysis`, without UMAP) and compare them view by view
///    (`LayerSimilarity`: CKA, aligned PCA, neighbour change). Layer pairs run side by side on
///    `threads` workers, one pair's states in memory per worker.
/// 2. Read every layer once more for the layer × layer CKA maps (`LayerMap`) of raw and of the
///    debiased view that shows content best in A (`Verdict.recommended`).
public struct RunDiff: Sendable {
    public let runA: ActivationRun, runB: ActivationRun
    public var titleA: String { runA.title }
    public var titleB: String { runB.title }
    public let pairing: RunPairing
    public let options: LayerAnalysis.Options
    /// One per pair of layers, in A's order.
    public let layers: [LayerSimilarity]
    /// Each side's analysis of each pair's layer (B's repeats when several of A's layers pair with it).
    public let analysesA: [LayerAnalysis], analysesB: [LayerAnalysis]
    /// Each run's own measures (over all its tokens, as its report would give them), side by side.
    public let measures: MeasureDiff
    /// The view the second map shows, if any debiased view was measured.
    public let contentView: Verdict.ContentView?
    /// Layer × layer CKA: raw first, then `contentView`'s (when there are enough tokens).
    public let maps: [LayerMap]

    public init(_ a: RunReader, _ b: RunReader, views: [View] = View.defaults, settings: DebiasSettings = DebiasSettings(),
                massiveRatio: Double = 10, keepMassive: Bool = false, maps: Bool = true, threads: Int = 2) throws {
        self = try SeriesDiff([a, b], views: views, settings: settings, massiveRatio: massiveRatio, keepMassive: keepMassive,
                              maps: maps, threads: threads).pairs[0]
    }

    /// One pair of a series, from what `SeriesDiff` computed: adds each side's measures, the
    /// content view and the maps.
    init(_ a: RunReader, _ b: RunReader, pairing: RunPairing, options: LayerAnalysis.Options, layers: [LayerSimilarity],
         analysesA: [LayerAnalysis], analysesB: [LayerAnalysis], usableA: [Int: LayerMap.Usable], usableB: [Int: LayerMap.Usable],
         maps: Bool, threads: Int) throws {
        self.runA = a.run
        self.runB = b.run
        self.pairing = pairing
        self.options = options
        self.layers = layers
        self.analysesA = analysesA
        self.analysesB = analysesB
        // Each side's measures exactly as its own report.json would hold them.
        let pathsA = SitePaths(run: a.run), pathsB = SitePaths(run: b.run)
        self.measures = MeasureDiff(analysesA.map { Report.Layer($0, run: a.run, paths: pathsA) },
                                    analysesB.map { Report.Layer($0, run: b.run, paths: pathsB) })
        self.contentView = Verdict.recommended(analysesA, content: Verdict.contentMeasure(a.run))
        let mapViews = [View.raw] + (contentView.map { [$0.view] } ?? [])
        self.maps = maps ? try LayerMap.compute(a, b, tokens: pairing.tokens, views: mapViews.filter(options.views.contains),
                                                usableA: usableA, usableB: usableB, options: options, threads: max(1, threads)) : []
    }
}
