import Foundation
import ForkscopeNumerics

/// The build pipeline: read run -> debias -> project -> measure (`analyseLayers`) -> report
/// (`Verdict`, `Report`) -> render (`SiteRenderer`, and the files a static host wants:
/// `Publishing`) -> write site (`SiteWriter`).
/// Each step is a function of the previous step's output; only the first and last touch disk
/// (besides reading content and templates, which happens before anything is computed, so bad
/// input fails fast).
public enum Build {
    public struct Result: Sendable {
        public let files: Int
        public let warnings: [Warning]
    }

    public static func run(_ options: BuildOptions, progress: @escaping @Sendable (String) -> Void = { _ in }) throws -> Result {
        // Read: run.json, tensor headers, theme and commentary are all checked before any work.
        let reader = try StageTimings.measure(options.timings, .open) { try RunReader(directory: options.run) }
        let run = reader.run
        var warnings = reader.warnings
        let theme = try Theme(overridesIn: options.templates)
        let publishing = try Publishing(baseURL: options.baseURL)
        let (commentary, contentWarnings) = try loadCommentary(options, run: run)
        warnings += contentWarnings

        if let asked = options.analysis.umapLayers, case let missing = asked.subtracting(run.layers).sorted(), !missing.isEmpty {
            throw SettingError.umapLayers(run: (options.run as NSString).appendingPathComponent("run.json"), missing: missing)
        }

        // Debias -> project -> measure, one layer's states in memory at a time.
        let hasZeroPE = run.hasZeroPE
        if !hasZeroPE, options.analysis.views.contains(where: { $0.base == .zeroPE }), options.analysis.views != View.defaults {
            warnings.append(Warning(file: (options.run as NSString).appendingPathComponent("run.json"), field: "variants",
                                    "no \"\(ActivationRun.zeroPEVariant)\" variant; the zero_pe view is left out"))
        }
        var analyses = try analyseLayers(reader, zeroPE: hasZeroPE, options: options.analysis, timings: options.timings, progress: progress)
        analyses = try layOutRecommended(reader, analyses, zeroPE: hasZeroPE, options: options.analysis, timings: options.timings,
                                         progress: progress)

        let report = Self.report(run: run, analyses: analyses, options: options.analysis, warnings: warnings)

        // Render -> write.
        progress("rendering")
        let files = try StageTimings.measure(options.timings, .render) {
            publishing.adding(to: try SiteRenderer(run: run, analyses: analyses, report: report, options: options.analysis,
                                                   commentary: commentary, theme: theme).files(threads: options.analysis.threads),
                              theme: theme, siteTitle: TokenText.visible(run.title), dataFile: "report.json")
        }
        progress("writing \(options.out)")
        try StageTimings.measure(options.timings, .write) { try SiteWriter.write(files, to: options.out, force: options.force) }
        return Result(files: files.count, warnings: warnings)
    }

    /// The report step: the verdict and report.json, from the analyses alone.
    public static func report(run: ActivationRun, analyses: [LayerAnalysis], options: LayerAnalysis.Options, warnings: [Warning]) -> Report {
        Report(run: run, analyses: analyses, options: options, paths: SitePaths(run: run),
               verdict: Verdict(analyses: analyses, run: run), warnings: warnings)
    }

    /// Debias -> project -> measure every layer, `options.threads` layers at once (each with
    /// single-threaded BLAS, and single-threaded UMAP unless there are fewer layers than threads),
    /// one layer's states in memory per worker. Results do not depend on the number of workers.
    static func analyseLayers(_ reader: RunReader, zeroPE: Bool, options: LayerAnalysis.Options, timings: StageTimings? = nil,
                              progress: @escaping @Sendable (String) -> Void) throws -> [LayerAnalysis] {
        let run = reader.run
        return try forEachLayer(reader, zeroPE: zeroPE, threads: options.threads, timings: timings, progress: progress) { slice, states, variant, threads in
            LayerAnalysis(layer: run.layers[slice], states: states, zeroPE: variant, run: run, options: options, threads: threads, timings: timings)
        }
    }

    /// With `UMAPViews.auto`, the recommended view's UMAP at every layer, once the verdict has
    /// chosen it from all the layers' measures: each layer's states are read again (one at a time
    /// per worker, as `analyseLayers` reads them) and only that view is fitted and laid out.
    static func layOutRecommended(_ reader: RunReader, _ analyses: [LayerAnalysis], zeroPE: Bool, options: LayerAnalysis.Options,
                                  timings: StageTimings? = nil, progress: @escaping @Sendable (String) -> Void) throws -> [LayerAnalysis] {
        guard options.umapViews == .auto, options.projector.kinds.contains(.umap),
              let view = Verdict(analyses: analyses, run: reader.run).content?.view,
              !options.umapViews.laidOutFirst(options.views).contains(view) else { return analyses }
        progress("UMAP of the recommended view, \(view.name)")
        return try forEachLayer(reader, zeroPE: zeroPE, threads: options.threads, timings: timings, progress: { _ in }) { slice, states, variant, threads in
            analyses[slice].addingUMAP(of: view, states: states, zeroPE: variant, run: reader.run, options: options, threads: threads, timings: timings)
        }
    }

    /// `body` for every layer, `threads` layers at once with single-threaded BLAS, given the layer's
    /// states (read into a matrix the worker reuses), its zero_pe variant's if asked for, and the
    /// threads it may use: the last layer runs while the other workers run out of layers, so it
    /// takes every thread and the cores they free are not left idle.
    private static func forEachLayer(_ reader: RunReader, zeroPE: Bool, threads: Int, timings: StageTimings?,
                                     progress: @escaping @Sendable (String) -> Void,
                                     _ body: (Int, Matrix, Matrix?, Int) -> LayerAnalysis) throws -> [LayerAnalysis] {
        let count = reader.run.layers.count
        let results = LayerResults(count: count)
        let memory = MatrixPool()
        let workers = max(1, min(threads, count))
        BLASThreads.set(1)
        ParallelChunks.run(chunks: count, threads: workers) { slice in
            guard !results.failed else { return }
            do {
                var states = memory.take()
                let variant = try StageTimings.measure(timings, .read) {
                    try reader.read(slice: slice, into: &states)
                    return zeroPE ? try reader.zeroPEStates(slice: slice) : nil
                }
                let analysis = body(slice, states, variant, slice == count - 1 ? threads : max(1, threads / workers))
                memory.give(states)
                progress(results.store(analysis, at: slice))
            } catch {
                results.fail(error)
            }
        }
        return try results.collect()
    }

    private static func loadCommentary(_ options: BuildOptions, run: ActivationRun) throws -> (Commentary, [Warning]) {
        if let content = options.content {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: content, isDirectory: &isDir), isDir.boolValue else {
                throw InputError(file: content, "content folder not found")
            }
            return try ContentFolder.load(content, run: run)
        }
        let own = (options.run as NSString).appendingPathComponent("commentary")
        guard FileManager.default.fileExists(atPath: own) else { return (Commentary(), []) }
        return try ContentFolder.load(own, run: run)
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
