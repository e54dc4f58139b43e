/// What `forkscope diff` is asked to do.
public struct DiffOptions: Sendable {
    public var a: String, b: String
    /// Versions after B: a series (`SeriesDiff`) of runs.
    public var later: [String] = []
    /// What to call each version (as many as versions); nil for `SeriesDiff.defaultLabels`.
    public var labels: [String]?
    public var against = SeriesDiff.Baseline.first
    public var versions: [String] { [a, b] + later }
    /// Where to write the site, if anywhere.
    public var out: String?
    /// Markdown commentary: index.md and layers/<L>.md (A's layer indices).
    public var content: String?
    public var templates: String?
    public var views = View.defaults
    public var settings = DebiasSettings()
    public var massiveRatio = 10.0
    public var keepMassive = false
    public var force = false
    /// The address the site will be served from: for its sitemap and 404 page (`Publishing`).
    public var baseURL: String?
    public var threads = 2

    public init(a: String, b: String) { self.a = a; self.b = b }
}
