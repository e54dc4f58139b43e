/// What `forkscope build` is asked to do.
public struct BuildOptions: Sendable {
    public var run: String
    public var out: String
    /// Markdown commentary; nil means the run's own `commentary/` folder, if it has one.
    public var content: String?
    /// A folder of templates replacing the built-in theme's files by name.
    public var templates: String?
    /// Views, debiasing settings and the handling of massive activations.
    public var analysis = LayerAnalysis.Options()
    public var force = false
    /// The address the site will be served from (`--base-url`): for its sitemap and 404 page.
    public var baseURL: String?
    /// Where analyses and what was written are kept for the next build (`--cache`); nil for none.
    public var cache: AnalysisCache?
    /// Where each stage's time is added (`--timings`), if anywhere.
    public var timings: StageTimings?

    public init(run: String, out: String, content: String? = nil, templates: String? = nil) {
        self.run = run
        self.out = out
        self.content = content
        self.templates = templates
    }
}
