import Foundation
import ForkscopeNumerics

/// Debias -> project -> measure every layer (`LayerAnalysis`), from the analysis cache where it
/// has the layer (`AnalysisCache`, `AnalysisKey`), computing and storing the others.
///
/// Layers run `threads` at once, each with single-threaded BLAS (and single-threaded UMAP unless
/// there are fewer layers than threads), one layer's states in memory per worker. Results depend
/// neither on the number of workers nor on which layers came from the cache: an entry holds a
/// layer's analysis exactly (every double round-trips), so a cached build is byte-identical to an
/// uncached one.
enum AnalysisStep {
    struct Output {
        var analyses: [LayerAnalysis]
        /// Each layer's final key (with the recommended view's UMAP where it was added); nil without a cache.
        var keys: [String]?
    }

    static func run(_ reader: RunReader, zeroPE: Bool, options build: BuildOptions, summary: inout BuildSummary,
                    progress: @escaping @Sendable (String) -> Void) throws -> Output {
        let run = reader.run, options = build.analysis, timings = build.timings
        guard let cache = build.cache else {
            var analyses = try analyse(reader, slices: Array(run.layers.indices), zeroPE: zeroPE, options: options, timings: timings, progress: progress)
            summary.layersAnalysed = run.layers.count
            if let view = recommendedView(analyses, run: run, options: options) {
                progress("UMAP of the recommended view, \(view.name)")
                analyses = try layOut(view, reader, analyses, slices: Array(run.layers.indices), zeroPE: zeroPE, options: options, timings: timings)
            }
            return Output(analyses: analyses, keys: nil)
        }

        progress("hashing the run")
        let digest = try StageTimings.measure(timings, .hash) { try RunDigest.of(reader) }
        let keys = run.layers.map { AnalysisKey.layer(build: AnalysisKey.build, run: digest, layer: $0, options: options) }
        // Which view the second pass laid out, once known: a rebuild then loads the layers with it
        // and skips the first pass's entries.
        let secondPassKey = Digest.hex(fields: ["recommended-view"] + keys)
        if let known = cache.load(SecondPass.self, .layer, key: secondPassKey), known.layers == keys.count {
            let finalKeys = keys.map { key in known.view.map { AnalysisKey.withUMAP(key, of: $0) } ?? key }
            let found = StageTimings.measure(timings, .cache) { load(finalKeys, from: cache, threads: options.threads) }
            if found.allSatisfy({ $0 != nil }) { return Output(analyses: found.map { $0! }, keys: finalKeys) }
        }

        var found = StageTimings.measure(timings, .cache) { load(keys, from: cache, threads: options.threads) }
        let missing = found.indices.filter { found[$0] == nil }
        if !missing.isEmpty {
            let fresh = try analyse(reader, slices: missing, zeroPE: zeroPE, options: options, timings: timings, progress: progress)
            for (slice, analysis) in zip(missing, fresh) {
                found[slice] = analysis
                StageTimings.measure(timings, .cache) { cache.store(analysis, .layer, key: keys[slice]) }
            }
        }
        summary.layersAnalysed = missing.count
        var analyses = found.map { $0! }
        let view = recommendedView(analyses, run: run, options: options)
        defer { cache.store(SecondPass(view: view, layers: keys.count), .layer, key: secondPassKey) }
        guard let view else { return Output(analyses: analyses, keys: keys) }

        // The recommended view's UMAP, under the layers' keys with the view.
        let laidOutKeys = keys.map { AnalysisKey.withUMAP($0, of: view) }
        let laidOut = StageTimings.measure(timings, .cache) { load(laidOutKeys, from: cache, threads: options.threads) }
        let toLayOut = laidOut.indices.filter { laidOut[$0] == nil }
        if !toLayOut.isEmpty {
            progress("UMAP of the recommended view, \(view.name)")
            let done = try layOut(view, reader, analyses, slices: toLayOut, zeroPE: zeroPE, options: options, timings: timings)
            for slice in toLayOut { StageTimings.measure(timings, .cache) { cache.store(done[slice], .layer, key: laidOutKeys[slice]) } }
            analyses = done
        }
        summary.layersLaidOut = toLayOut.count
        for (slice, analysis) in laidOut.enumerated() { if let analysis { analyses[slice] = analysis } }
        return Output(analyses: analyses, keys: laidOutKeys)
    }

    /// The view the second pass laid out for a set of first-pass keys (`view` nil: none; the
    /// count guards against a well-formed payload of another shape).
    struct SecondPass: Codable {
        var view: View?
        var layers: Int
    }

    /// The entries under `keys` (nil where there is none), decoded on `threads` threads.
    static func load(_ keys: [String], from cache: AnalysisCache, threads: Int) -> [LayerAnalysis?] {
        ParallelChunks.map(chunks: keys.count, threads: threads) { cache.load(LayerAnalysis.self, .layer, key: keys[$0]) }
    }

    /// The view whose UMAP `UMAPViews.auto` adds once the verdict has chosen it from all the
    /// layers' measures, if it was not laid out in the first pass.
    static func recommendedView(_ analyses: [LayerAnalysis], run: ActivationRun, options: LayerAnalysis.Options) -> View? {
        guard options.umapViews == .auto, options.projector.kinds.contains(.umap),
              let view = Verdict(analyses: analyses, run: run).content?.view,
              !options.umapViews.laidOutFirst(options.views).contains(view) else { return nil }
        return view
    }

    /// The analyses of the layers at `slices`, in that order.
    static func analyse(_ reader: RunReader, slices: [Int], zeroPE: Bool, options: LayerAnalysis.Options, timings: StageTimings? = nil,
                        progress: @escaping @Sendable (String) -> Void) throws -> [LayerAnalysis] {
        let run = reader.run
        return try forEachLayer(reader, slices: slices, zeroPE: zeroPE, threads: options.threads, timings: timings, progress: progress) { slice, states, variant, threads in
            LayerAnalysis(layer: run.layers[slice], states: states, zeroPE: variant, run: run, options: options, threads: threads, timings: timings)
        }
    }

    /// `analyses` with `view`'s UMAP added at the layers at `slices`: each layer's states are read
    /// again (one at a time per worker, as `analyse` reads them) and only that view is fitted and
    /// laid out.
    static func layOut(_ view: View, _ reader: RunReader, _ analyses: [LayerAnalysis], slices: [Int], zeroPE: Bool,
                       options: LayerAnalysis.Options, timings: StageTimings? = nil) throws -> [LayerAnalysis] {
        let done = try forEachLayer(reader, slices: slices, zeroPE: zeroPE, threads: options.threads, timings: timings, progress: { _ in }) { slice, states, variant, threads in
            analyses[slice].addingUMAP(of: view, states: states, zeroPE: variant, run: reader.run, options: options, threads: threads, timings: timings)
        }
        var out = analyses
        for (slice, analysis) in zip(slices, done) { out[slice] = analysis }
        return out
    }

    /// `body` for the layers at `slices`, `threads` layers at once with single-threaded BLAS, given
    /// the layer's states (read into a matrix the worker reuses), its zero_pe variant's if asked
    /// for, and the threads it may use: the last layer runs while the other workers run out of
    /// layers, so it takes every thread and the cores they free are not left idle.
    private static func forEachLayer(_ reader: RunReader, slices: [Int], zeroPE: Bool, threads: Int, timings: StageTimings?,
                                     progress: @escaping @Sendable (String) -> Void,
                                     _ body: (Int, Matrix, Matrix?, Int) -> LayerAnalysis) throws -> [LayerAnalysis] {
        let count = slices.count
        guard count > 0 else { return [] }
        let results = LayerResults(count: count)
        let memory = MatrixPool()
        let workers = max(1, min(threads, count))
        BLASThreads.set(1)
        ParallelChunks.run(chunks: count, threads: workers) { i in
            guard !results.failed else { return }
            let slice = slices[i]
            do {
                var states = memory.take()
                let variant = try StageTimings.measure(timings, .read) {
                    try reader.read(slice: slice, into: &states)
                    return zeroPE ? try reader.zeroPEStates(slice: slice) : nil
                }
                let analysis = body(slice, states, variant, i == count - 1 ? threads : max(1, threads / workers))
                memory.give(states)
                progress(results.store(analysis, at: i))
            } catch {
                results.fail(error)
            }
        }
        return try results.collect()
    }
}

/// Layer matrices a worker has finished with, for the next layer's states to be read into.
private final class MatrixPool: @unchecked Sendable {
    private let lock = NSLock()
    private var free = [Matrix]()

    func take() -> Matrix { lock.withLock { free.popLast() } ?? Matrix(rows: 0, cols: 0) }
    func give(_ m: Matrix) { lock.withLock { free.append(m) } }
}

/// The layers' analyses as the workers finish them, or the first error.
private final class LayerResults: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [LayerAnalysis?]
    private var error: Error?
    private var done = 0
    private let started = Date()

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    var failed: Bool { lock.withLock { error != nil } }

    /// Stores a result; returns a progress line: layers done, percent and time left (from the
    /// mean time per layer so far).
    func store(_ analysis: LayerAnalysis, at slice: Int) -> String {
        lock.withLock {
            slots[slice] = analysis
            done += 1
            let elapsed = Date().timeIntervalSince(started)
            let left = elapsed / Double(done) * Double(slots.count - done)
            return "analysing layers: \(done)/\(slots.count) (\(100 * done / slots.count)%), about \(Int(left.rounded())) s left"
        }
    }

    func fail(_ e: Error) { lock.withLock { if error == nil { error = e } } }

    func collect() throws -> [LayerAnalysis] {
        try lock.withLock {
            if let error { throw error }
            return slots.map { $0! }
        }
    }
}
