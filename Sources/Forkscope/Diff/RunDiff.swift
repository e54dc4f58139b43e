import Foundation
import ForkscopeNumerics

/// `forkscope diff` on two runs: pair them (`RunPairing`), then read each pair of layers, compare
/// every view (`LayerSimilarity`) and, unless asked not to, analyse each side as a build would
/// (`LayerAnalysis`, without UMAP) for the measures (`MeasureDiff`). Layer pairs run side by side
/// on `threads` workers, one pair's states in memory per worker.
public struct RunDiff: Sendable {
    public let titleA: String, titleB: String
    public let pairing: RunPairing
    public let layers: [LayerSimilarity]
    /// Each run's own measures (over all its tokens, as its report would give them), side by side.
    public let measures: MeasureDiff?

    public init(_ a: RunReader, _ b: RunReader, views: [View] = View.defaults, settings: DebiasSettings = DebiasSettings(),
                massiveRatio: Double = 10, keepMassive: Bool = false, measures: Bool = true, threads: Int = 2) throws {
        let pairing = RunPairing(a.run, b.run)
        let pairs = pairing.layers.pairs
        let wantsZeroPE = views.contains { $0.base == .zeroPE }
        var options = LayerAnalysis.Options()
        options.views = views
        options.debias = settings
        options.massiveRatio = massiveRatio
        options.keepMassive = keepMassive
        options.umap = false
        typealias Outcome = (similarity: LayerSimilarity, a: LayerAnalysis?, b: LayerAnalysis?)
        var results = [Result<Outcome, Error>?](repeating: nil, count: pairs.count)
        BLASThreads.set(1)
        results.withUnsafeMutableBufferPointer { out in
            ParallelChunks.run(chunks: pairs.count, threads: max(1, threads)) { p in
                out[p] = Result {
                    func side(_ reader: RunReader, _ slice: Int) throws -> LayerSimilarity.Side {
                        let zero = wantsZeroPE && reader.run.variants.contains { $0.name == Build.zeroPEVariant }
                            ? try reader.states(slice: slice, variant: Build.zeroPEVariant) : nil
                        return .init(run: reader.run, layer: reader.run.layers[slice], states: try reader.states(slice: slice), zeroPE: zero)
                    }
                    let sa = try side(a, pairs[p].a), sb = try side(b, pairs[p].b)
                    func analysis(_ s: LayerSimilarity.Side) -> LayerAnalysis? {
                        measures ? LayerAnalysis(layer: s.layer, states: s.states, zeroPE: s.zeroPE, run: s.run, options: options) : nil
                    }
                    return (LayerSimilarity(sa, sb, tokens: pairing.tokens, views: views, settings: settings,
                                            massiveRatio: massiveRatio, keepMassive: keepMassive), analysis(sa), analysis(sb))
                }
            }
        }
        self.titleA = a.run.title
        self.titleB = b.run.title
        self.pairing = pairing
        let outcomes = try results.map { try $0!.get() }
        self.layers = outcomes.map(\.similarity)
        if measures {
            self.measures = MeasureDiff(try Self.reportLayers(outcomes.compactMap(\.a)), try Self.reportLayers(outcomes.compactMap(\.b)))
        } else {
            self.measures = nil
        }
    }

    /// The layers' measures as report.json holds them (`Report.Measures`), for `MeasureDiff`.
    static func reportLayers(_ analyses: [LayerAnalysis]) throws -> [String: Any] {
        let encoder = JSONEncoder()
        let layers = try analyses.map { analysis -> [String: Any] in
            var views = [String: Any]()
            for v in analysis.views {
                let data = try encoder.encode(Report.Measures(m: v.measures, umapInitialisation: nil))
                views[v.view.name] = try JSONSerialization.jsonObject(with: data)
            }
            return ["layer": analysis.layer, "views": views]
        }
        return ["format": "forkscope.report/1", "layers": layers]
    }
}
