import ArgumentParser
import Forkscope
import Foundation

/// What `build` and `serve` share: where the content and templates are, the analysis options,
/// the threads and the cache.
struct SiteArguments: ParsableArguments {
    @Option(help: "A folder of Markdown commentary: index.md, layers/<L>.md, branches/<id>.md. Default: the run's commentary/ folder.")
    var content: String?

    @Option(help: "A folder of templates overriding the built-in theme by file name.")
    var templates: String?

    @Option(help: "A JSON file with defaults for run, out, content and templates (paths relative to it).")
    var config: String?

    @Option(help: "The address the site will be served from, e.g. https://example.org/reports/run1/: for sitemap.xml and 404.html (every other link stays relative).")
    var baseURL: String?

    @OptionGroup var viewOptions: ViewOptions

    @Option(help: ArgumentHelp("Comma-separated projections to draw: \(ProjectionKind.allCases.map(\.rawValue).joined(separator: ", ")) (pca always: its measures are defined on it).", valueName: "list"))
    var projections = ProjectionList(ProjectionKind.allCases)

    @Option(help: ArgumentHelp("Comma-separated layers to run UMAP on (default: all).", valueName: "list"))
    var umapLayers: LayerList?

    @Option(help: ArgumentHelp("Views to run UMAP on: auto (the raw view and the one the verdict recommends, which each layer page opens with; the others are drawn by PCA), all, or a comma-separated list of views.", valueName: "views"))
    var umapViews = UMAPViews.auto

    @OptionGroup var umap: UMAPOptions

    @Option(help: ArgumentHelp("How to cluster each view's states: hdbscan (min_cluster_size √n/2 within 5…100), hdbscan:M, kmeans:K, or off.", valueName: "method"))
    var clusters = ClusterMethod.default

    @Option(help: "Threads (default: every core). The report does not depend on it.")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @OptionGroup var cacheOptions: CacheOptions

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        if case .listed(let listed) = umapViews, let stray = listed.first(where: { !analysisOptions.views.contains($0) }) {
            throw ValidationError("--umap-views: \(stray.name) is not among the build's views")
        }
    }

    /// What the engine is asked to analyse.
    var analysisOptions: LayerAnalysis.Options {
        var o = LayerAnalysis.Options()
        viewOptions.apply(to: &o)
        o.projections = projections.kinds
        o.umapOptions = umap.options
        o.umapLayers = umapLayers?.layers
        o.umapViews = umapViews
        o.clusters = clusters
        o.threads = threads
        return o
    }

    /// The build these arguments ask for, with the run folder and output folder given on the
    /// command line or else by `--config`; `out` falls back to `defaultOut` when neither names one.
    /// `inMemory`: cache entries kept decoded between builds (`serve`).
    func buildOptions(run: String?, out: String?, inMemory: Int = 0, defaultOut: (() throws -> String)? = nil) throws -> BuildOptions {
        let settings = try config.map(SiteConfiguration.init(file:))
        guard let runPath = run ?? settings?.run else {
            throw ValidationError("Give a run folder (or a --config naming one).")
        }
        guard let outPath = try out ?? settings?.out ?? defaultOut?() else {
            throw ValidationError("Give --out DIR (or a --config naming one).")
        }
        var options = BuildOptions(run: runPath, out: outPath, content: content ?? settings?.content, templates: templates ?? settings?.templates)
        options.baseURL = baseURL
        options.analysis = analysisOptions
        options.cache = try cacheOptions.open(inMemory: inMemory, warn: ErrorReport.stderr)
        return options
    }
}
