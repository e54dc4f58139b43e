import Foundation
import ForkscopeNumerics

/// Every captured layer of A against every captured layer of B in one view: linear CKA on an
/// even sample of the compared tokens, the layer × layer map of Kornblith et al. (2019, fig. 2)
/// that shows which layer of one model version corresponds to which of the other.
///
/// Every cell uses the same tokens: those compared (`RunPairing.tokens`) that the view covers and
/// that are not massive in any layer of either run, evenly sampled down to `sampleLimit`. Each
/// layer's view is fitted as a build fits it (all of the layer's fit tokens), then cut to the sample.
public struct LayerMap: Sendable {
    public let view: View
    /// Model layer indices along the rows (A) and columns (B).
    public let layersA: [Int], layersB: [Int]
    /// Tokens in the sample, and those it was drawn from.
    public let tokens: Int, candidates: Int
    /// layersA.count × layersB.count; NaN where either side has no variance.
    public let cka: Matrix

    /// Each cell compares n × n Gram matrices, kept for every layer (8 MiB each at this size).
    public static let sampleLimit = 1_024

    /// Which tokens each side's view can use at one layer (covers, not massive), by run token.
    typealias Usable = [View: [Bool]]

    /// The maps of `views`, reading every layer of both runs once more (`threads` at a time).
    /// - Parameter usableA, usableB: what pass one learned per captured layer (slice), where it
    ///   analysed it; layers it did not (B's, when layers pair by depth) are worked out here.
    static func compute(_ a: RunReader, _ b: RunReader, tokens: [(a: Int, b: Int)], views: [View],
                        usableA: [Int: Usable], usableB: [Int: Usable], options: LayerAnalysis.Options,
                        threads: Int) throws -> [LayerMap] {
        guard !views.isEmpty else { return [] }
        let readers = [a, b]
        // Loaded (and so used to find massive tokens) exactly when pass one loaded it.
        let wantsZeroPE = options.views.contains { $0.base == .zeroPE }
        func fitted(_ side: Int, _ slice: Int) throws -> (LayerInput, [View: ViewStates]) {
            let reader = readers[side]
            let states = try reader.states(slice: slice)
            let zero = wantsZeroPE ? try reader.zeroPEStates(slice: slice) : nil
            let massive = options.keepMassive ? [] : MassiveActivations.detect(states, zeroPE: zero, ratio: options.massiveRatio)
            let input = LayerInput(states: states, zeroPE: zero, run: reader.run, excluding: massive, settings: options.debias)
            var out = [View: ViewStates]()
            for view in views { out[view] = view.apply(to: input, settings: options.debias) }
            return (input, out)
        }
        // What the view can use at layers pass one did not analyse.
        let known = [usableA, usableB]
        var jobs = [(side: Int, slice: Int)]()
        for side in 0..<2 { for slice in readers[side].run.layers.indices where known[side][slice] == nil { jobs.append((side, slice)) } }
        let found = try ParallelChunks.map(chunks: jobs.count, threads: threads) { j in
            let (input, fitted) = try fitted(jobs[j].side, jobs[j].slice)
            return fitted.mapValues { $0.usable(fit: input.fit) }
        }
        var usable = known
        for (j, job) in jobs.enumerated() { usable[job.side][job.slice] = found[j] }

        // One sample for every cell of every map.
        let candidates = tokens.filter { pair in
            views.allSatisfy { view in
                usable[0].values.allSatisfy { $0[view]?[pair.a] == true } && usable[1].values.allSatisfy { $0[view]?[pair.b] == true }
            }
        }
        let sample = EvenSample.indices(candidates.count, sampleLimit).map { candidates[$0] }
        guard sample.count >= 2 else { return [] }

        // Each layer's unit-norm Gram matrices of the sample, per view.
        let grams = try readers.indices.map { side -> [[View: Matrix?]] in
            try ParallelChunks.map(chunks: readers[side].run.layers.count, threads: threads) { slice in
                let (input, fitted) = try fitted(side, slice)
                var grams = [View: Matrix?]()
                for view in views {
                    guard let v = fitted[view] else { grams[view] = .some(nil); continue }
                    let row = v.rows(count: input.fit.count)
                    grams[view] = LinearCKA.unitGram(v.states.selectingRows(sample.map { row[side == 0 ? $0.a : $0.b]! }))
                }
                return grams
            }
        }
        return views.map { view in
            LayerMap(view: view, layersA: a.run.layers, layersB: b.run.layers, tokens: sample.count, candidates: candidates.count,
                     cka: LinearCKA.pairs(grams: grams[0].map { $0[view] ?? nil }, grams[1].map { $0[view] ?? nil }))
        }
    }
}
