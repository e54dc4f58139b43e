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
        /// What the cache saved and where the time went.
        public let summary: BuildSummary
    }

    public static func run(_ options: BuildOptions, progress: @escaping @Sendable (String) -> Void = { _ in }) throws -> Result {
        let started = Date()
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

        // Debias -> project -> measure, one layer's states in memory at a time; from the cache
        // where it has the layer.
        let hasZeroPE = run.hasZeroPE
        if !hasZeroPE, options.analysis.views.contains(where: { $0.base == .zeroPE }), options.analysis.views != View.defaults {
            warnings.append(Warning(file: (options.run as NSString).appendingPathComponent("run.json"), field: "variants",
                                    "no \"\(ActivationRun.zeroPEVariant)\" variant; the zero_pe view is left out"))
        }
        var summary = BuildSummary(layers: run.layers.count)
        let analysed = try AnalysisStep.run(reader, zeroPE: hasZeroPE, options: options, summary: &summary, progress: progress)
        summary.analysisSeconds = Date().timeIntervalSince(started)
        let analyses = analysed.analyses
        let report = Self.report(run: run, analyses: analyses, options: options.analysis, warnings: warnings)

        // Render -> write. With a cache, a file whose key is unchanged since the build that last
        // wrote this folder, and which is still as written, is neither rendered nor written.
        progress("rendering")
        let renderStarted = Date()
        let renderer = SiteRenderer(run: run, analyses: analyses, report: report, options: options.analysis,
                                    commentary: commentary, theme: theme)
        let plan = renderer.plan()
        let keys = analysed.keys.map { RenderKeys(build: AnalysisKey.build, analyses: $0, warnings: warnings, theme: theme, publishing: publishing) }
        let fileKeys = keys.map { k in Dictionary(plan.map { ($0.path, k.key($0)) }, uniquingKeysWith: { a, _ in a }) }
        let manifestKey = SiteManifest.cacheKey(out: options.out)
        let previous = options.cache.flatMap { cache in
            summary.layersAnalysed == 0 && SiteWriter.isSite(options.out) ? cache.load(SiteManifest.self, .site, key: manifestKey) : nil
        }
        let stale = plan.filter { file in
            guard let previous, let key = fileKeys?[file.path] else { return true }
            return !previous.unchanged(file.path, key: key, in: options.out)
        }
        let files = try StageTimings.measure(options.timings, .render) {
            publishing.adding(to: try SiteRenderer.render(stale, threads: options.analysis.threads),
                              theme: theme, siteTitle: TokenText.visible(run.title), dataFile: "report.json", allPaths: plan.map(\.path))
        }
        summary.rendered = files.count
        summary.files = plan.count + files.count - stale.count
        summary.renderSeconds = Date().timeIntervalSince(renderStarted)

        progress("writing \(options.out)")
        let writeStarted = Date()
        try StageTimings.measure(options.timings, .write) {
            if previous != nil {
                let kept = Set(plan.map(\.path)).subtracting(stale.map(\.path))
                summary.written = try SiteWriter.update(files, keeping: kept, in: options.out).count
                summary.incremental = true
            } else {
                try SiteWriter.write(files, to: options.out, force: options.force)
                summary.written = files.count
            }
        }
        if let cache = options.cache, let fileKeys {
            cache.store(SiteManifest(keys: fileKeys, out: options.out), .site, key: manifestKey)
            cache.prune()
            summary.cacheWarnings = cache.warnings
        }
        summary.writeSeconds = Date().timeIntervalSince(writeStarted)
        return Result(files: summary.files, warnings: warnings, summary: summary)
    }

    /// The report step: the verdict and report.json, from the analyses alone.
    public static func report(run: ActivationRun, analyses: [LayerAnalysis], options: LayerAnalysis.Options, warnings: [Warning]) -> Report {
        Report(run: run, analyses: analyses, options: options, paths: SitePaths(run: run),
               verdict: Verdict(analyses: analyses, run: run), warnings: warnings)
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
