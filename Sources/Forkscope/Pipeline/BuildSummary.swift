/// What a build did: how much the cache saved it and where its time went, as
/// `forkscope build` prints it.
public struct BuildSummary: Sendable, Equatable {
    /// The run's layers, and how many were analysed (not found in the cache).
    public var layers: Int
    public var layersAnalysed = 0
    /// Layers whose recommended view's UMAP was computed (not found in the cache).
    public var layersLaidOut = 0
    /// Files of the site, how many were rendered and how many written.
    public var files = 0
    public var rendered = 0
    public var written = 0
    /// Whether only changed files were written (else the site was replaced as a whole).
    public var incremental = false
    /// Seconds from the start of the build to the analyses, to the rendered files, to the written site.
    public var analysisSeconds = 0.0, renderSeconds = 0.0, writeSeconds = 0.0
    /// The cache's problems (corrupt entries, failed writes): warnings outside the report.
    public var cacheWarnings = [Warning]()

    public init(layers: Int) { self.layers = layers }

    /// One line per part, e.g. "analysis: 31 of 31 layers from the cache (0.21 s)".
    public var lines: [String] {
        let cached = layers - layersAnalysed
        let analysis = cached == 0 ? "analysis: \(Self.count(layers, "layer")) analysed" : "analysis: \(cached) of \(Self.count(layers, "layer")) from the cache"
        let write = incremental ? "write: \(Self.count(written, "changed file")) written in place" : "write: \(Self.count(written, "file")), the site replaced as a whole"
        return [analysis + " (\(Self.seconds(analysisSeconds)))",
                "render: \(rendered) of \(Self.count(files, "file")) rendered (\(Self.seconds(renderSeconds)))",
                write + " (\(Self.seconds(writeSeconds)))"]
    }

    static func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }

    static func seconds(_ s: Double) -> String { s < 10 ? "\((s * 100).rounded() / 100) s" : "\(Int(s.rounded())) s" }
}
