import Foundation
import ForkscopeNumerics

/// A file of a site: its path relative to the site root and its bytes.
public struct SiteFile: Sendable {
    public let path: String
    public let contents: Data
    public init(path: String, contents: Data) { self.path = path; self.contents = contents }
    public init(path: String, text: String) { self.init(path: path, contents: Data(text.utf8)) }
}

/// Renders a built run into the site's pages: index, one page per layer, one per branch and
/// layer. Pure: everything it shows comes in as arguments, and untrusted text is escaped by
/// Mustache (`{{…}}`) or `Escape.html`; only our own SVG and libcmark's HTML go in unescaped.
public struct SiteRenderer {
    let run: ActivationRun
    let analyses: [LayerAnalysis]
    let commentary: Commentary
    let theme: Theme
    let paths: SitePaths
    let warnings: [Warning]
    let options: LayerAnalysis.Options
    /// Run text as pages show it.
    let shown: ShownText
    let verdict: String

    public init(run: ActivationRun, analyses: [LayerAnalysis], options: LayerAnalysis.Options = .init(),
                commentary: Commentary, theme: Theme, warnings: [Warning]) {
        self.options = options
        self.run = run
        self.analyses = analyses
        self.commentary = commentary
        self.theme = theme
        self.paths = SitePaths(run: run)
        self.warnings = warnings
        self.shown = ShownText(run)
        self.verdict = Verdict(run: run, analyses: analyses).text
    }

    /// Every page, the stylesheet, the per-layer CSVs and report.json.
    /// Layers render on `threads` threads (each layer's pages depend on that layer alone); the
    /// files come out in the same order whatever the thread count.
    public func files(threads: Int = 1) throws -> [SiteFile] {
        var files = [SiteFile(path: "index.html", text: indexPage()),
                     SiteFile(path: "style.css", text: theme.stylesheet),
                     SiteFile(path: BranchHighlight.file, text: BranchHighlight.stylesheet(branches: run.branches.count))]
        var perLayer = [[SiteFile]](repeating: [], count: analyses.count)
        perLayer.withUnsafeMutableBufferPointer { out in
            ParallelChunks.run(chunks: analyses.count, threads: threads) { l in
                let a = analyses[l]
                var layerFiles = [SiteFile(path: paths.layerPage(a.layer), text: layerPage(a)),
                                  SiteFile(path: paths.layerData(a.layer), text: LayerTable.csv(run: run, analysis: a))]
                for b in run.branches.indices {
                    layerFiles.append(SiteFile(path: paths.branchPage(b, layer: a.layer), text: branchPage(b, a)))
                }
                out[l] = layerFiles
            }
        }
        files += perLayer.joined()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let report = Report(run: run, analyses: analyses, options: options, paths: paths, verdict: verdict, warnings: warnings)
        files.append(SiteFile(path: "report.json", contents: try encoder.encode(report) + Data("\n".utf8)))
        return files
    }

    /// The layer a branch link from the index points at: the middle of the stack, where content
    /// usually shows best.
    var defaultLayer: Int { analyses[analyses.count / 2].layer }

    // MARK: - Pages

    private func common(page path: String, title: String) -> [String: Any] {
        [
            "root": SitePaths.root(from: path),
            "pageTitle": title,
            "runTitle": shown.title,
            "modelName": shown.modelName,
            "generator": "forkscope \(Forkscope.version)",
            "dataFile": "report.json",
        ].setting("modelVersion", shown.modelVersion)
    }

    func indexPage() -> String {
        var c = common(page: "index.html", title: shown.title)
        let children = run.children
        var tree = [[String: Any]]()
        func visit(_ b: Int, depth: Int) {
            let branch = run.branches[b]
            var entry: [String: Any] = [
                "depth": depth, "label": shown.labels[b], "id": shown.ids[b], "tokens": branch.tokens.count,
                "color": BranchStyle.forBranch(b).color, "href": paths.branchPage(b, layer: defaultLayer),
            ]
            if let p = branch.parent, let fork = branch.forkAt {
                entry["fork"] = true
                entry["forkAt"] = fork
                entry["parentLabel"] = shown.labels[p]
                entry["forkToken"] = TokenText.visible(run.branches[p].tokens[fork - 1])
            }
            tree.append(entry)
            for child in children[b] { visit(child, depth: depth + 1) }
        }
        for r in run.roots { visit(r, depth: 0) }
        c["branches"] = tree
        c["positionalEncoding"] = run.model.positionalEncoding.map(TokenText.visible) ?? "not stated"
        c["hiddenSize"] = run.hiddenSize
        c["tokenCount"] = run.tokenCount
        c["branchCount"] = run.branches.count
        c["rootCount"] = run.roots.count
        c["layerCount"] = run.layers.count
        c = c.setting("variants", run.variants.isEmpty ? nil : run.variants.map(\.name).joined(separator: ", "))
        c["viewHeaders"] = viewHeaders()
        c["layers"] = analyses.map { a -> [String: Any] in
            ["layer": a.layer, "href": paths.layerPage(a.layer), "dataHref": paths.layerData(a.layer),
             "massive": a.massive.isEmpty ? "" : "\(a.massive.count)",
             "views": a.views.map { v -> [String: Any] in
                 ["probe": NumberFormat.share(v.measures.positionProbe),
                  "purity": NumberFormat.share(v.measures.rootKnnPurity)]
             }]
        }
        c["verdict"] = verdict
        c["sweep"] = sweepCharts()
        c["hasWarnings"] = !warnings.isEmpty
        c["warnings"] = warnings.map(\.description)
        c = c.setting("commentary", commentary.index.map(Markdown.html))
        return theme.render("index", c)
    }

    func layerPage(_ a: LayerAnalysis) -> String {
        let path = paths.layerPage(a.layer)
        var c = common(page: path, title: "Layer \(a.layer) · \(shown.title)")
        let root = SitePaths.root(from: path)
        c["layer"] = a.layer
        c["layerLinks"] = layerLinks(current: a.layer) { root + paths.layerPage($0) }
        c["dataHref"] = root + paths.layerData(a.layer)
        c = c.setting("commentary", commentary.layers[a.layer].map(Markdown.html))
        // The page's plots share its budget of markers: a PCA plot per view, a UMAP plot below each that has one.
        let budget = ScatterPlot.Budget.page(plots: a.views.count + a.views.filter { $0.umap != nil }.count)
        let massive = Set(a.massive.map(\.token))
        var thinned = false
        c["plots"] = a.views.enumerated().map { i, v -> [String: Any] in
            let excluded = run.tokenCount - v.measures.tokens
            let note = excluded == 0 ? nil
                : "\(excluded) token\(excluded == 1 ? " is" : "s are") not in this view: no other branch has a token the fit uses (not massive) at \(excluded == 1 ? "its position" : "their positions")."
            var pca = plot(v, layer: a.layer, massive: massive)
            pca.budget = budget
            pca.idPrefix = "p\(i)"
            let pcaDrawing = pca.draw()
            let umapDrawing = v.umap.map { layout -> ScatterPlot.Drawing in
                var umap = umapPlot(v, layout, layer: a.layer)
                umap.budget = budget
                umap.idPrefix = "u\(i)"
                return umap.draw()
            }
            if pcaDrawing.thinning != nil || umapDrawing?.thinning != nil { thinned = true }
            return [
                "title": v.view.title, "name": v.view.name, "summary": v.view.summary,
                "pc1": NumberFormat.share(v.measures.pcaExplainedVariance.first),
                "pc2": NumberFormat.share(v.measures.pcaExplainedVariance.dropFirst().first),
                "tokens": v.measures.tokens, "fitTokens": v.measures.fitTokens,
                "measures": measureCatalog.map { entry -> [String: Any] in
                    ["label": entry.label, "help": entry.help, "value": NumberFormat.share(entry.value(v.measures))]
                        .setting("chance", entry.chance?(v.measures).map(NumberFormat.share))
                },
                "svg": pcaDrawing.svg,
                "dataHref": root + paths.layerData(a.layer),
                "dataName": (paths.layerData(a.layer) as NSString).lastPathComponent,
            ].setting("excluded", note)
                .setting("thinning", pcaDrawing.thinning?.summary)
                .setting("umapSvg", umapDrawing?.svg)
                .setting("umapCaption", v.umap.map { _ in umapCaption(v, analysis: a) })
                .setting("umapThinning", umapDrawing?.thinning?.summary)
        }
        c["thinned"] = thinned
        c["massiveExcluded"] = a.massiveExcluded
        c["massive"] = a.massive.map { m -> [String: Any] in
            let b = run.tokenBranch[m.token], j = m.token - run.branchOffsets[b]
            return ["branch": shown.labels[b], "id": shown.ids[b], "href": root + paths.branchPage(b, layer: a.layer),
                    "token": TokenText.visible(run.branches[b].tokens[j]), "position": run.branches[b].positions[j],
                    "ratio": NumberFormat.figure(m.normRatio), "dimensions": m.topDimensions.map(String.init).joined(separator: ", ")]
        }
        c["hasMassive"] = !a.massive.isEmpty
        c["massiveShare"] = NumberFormat.share(a.massiveVarianceShare)
        c["legend"] = run.branches.indices.map { b -> [String: Any] in
            let style = BranchStyle.forBranch(b)
            return ["index": b, "label": shown.labels[b], "id": shown.ids[b],
                    "color": style.color, "shape": style.shape.rawValue,
                    "href": root + paths.branchPage(b, layer: a.layer)]
        }
        c["highlightCSS"] = BranchHighlight.file
        return theme.render("layer", c)
    }

    func branchPage(_ b: Int, _ a: LayerAnalysis) -> String {
        let branch = run.branches[b]
        let path = paths.branchPage(b, layer: a.layer)
        let root = SitePaths.root(from: path)
        var c = common(page: path, title: "\(shown.labels[b]) · layer \(a.layer) · \(shown.title)")
        c["label"] = shown.labels[b]
        c["id"] = shown.ids[b]
        c["color"] = BranchStyle.forBranch(b).color
        c["layer"] = a.layer
        c["layerLinks"] = layerLinks(current: a.layer) { root + paths.branchPage(b, layer: $0) }
        if let p = branch.parent, let fork = branch.forkAt {
            c["parent"] = true
            c["parentHref"] = root + paths.branchPage(p, layer: a.layer)
            c["parentLabel"] = shown.labels[p]
            c["forkAt"] = fork
        }
        let kids = run.children[b]
        c["hasChildren"] = !kids.isEmpty
        c["children"] = kids.map { ["label": shown.labels[$0], "href": root + paths.branchPage($0, layer: a.layer)] }
        let prefix = run.inheritedPrefix(of: b)
        let inherited = prefix.reduce(0) { $0 + $1.count }
        if inherited > 0 { c["inheritedCount"] = inherited }
        c["ownCount"] = branch.tokens.count
        var text = [[String: Any]]()
        for (p, count) in prefix {
            for j in 0..<count {
                text.append(["text": TokenText.inline(run.branches[p].tokens[j]), "inherited": true,
                             "position": run.branches[p].positions[j]])
            }
        }
        for (j, token) in branch.tokens.enumerated() {
            text.append(["text": TokenText.inline(token), "inherited": false, "position": branch.positions[j]])
        }
        c["text"] = text
        c["viewHeaders"] = viewHeaders()
        let offset = run.branchOffsets[b]
        c["rows"] = branch.tokens.indices.map { j -> [String: Any] in
            let t = offset + j
            return [
                "index": j, "position": branch.positions[j], "token": TokenText.visible(branch.tokens[j]),
                "logprob": branch.logprobs?[j].map { NumberFormat.fixed($0, decimals: 3) } ?? "",
                "norm": NumberFormat.figure(a.norms[t]),
                "coords": a.views.map { v -> [String: String] in
                    let p = v.projection.points[t]
                    return ["x": NumberFormat.figure(p?.x), "y": NumberFormat.figure(p?.y)]
                },
                "distance": NumberFormat.figure(a.distanceToPositionMean[t]),
            ]
        }
        c = c.setting("commentary", commentary.branches[branch.id].map(Markdown.html))
        return theme.render("branch", c)
    }

    // MARK: - Parts

    private func viewHeaders() -> [[String: String]] {
        (analyses.first?.views ?? []).enumerated().map { i, v in
            ["title": v.view.title, "name": v.view.name, "summary": v.view.summary, "color": ViewPalette.color(i)]
        }
    }

    private func layerLinks(current: Int, href: (Int) -> String) -> [[String: Any]] {
        run.layers.map { ["layer": $0, "href": href($0), "current": $0 == current] }
    }

    /// The layer sweep: a chart per measure against layer, a line per view, dashed chance lines.
    func sweepCharts() -> [[String: Any]] {
        let views = analyses.first?.views.map(\.view) ?? []
        let labels = analyses.map { "\($0.layer)" }
        return measureCatalog.map { entry in
            var series = views.enumerated().map { i, view in
                LineChart.Series(label: view.title, color: ViewPalette.color(i), values: analyses.map { a in
                    a.views.first { $0.view == view }.flatMap { entry.value($0.measures) }
                })
            }
            if let chance = entry.chance {
                series.append(LineChart.Series(label: "chance (raw)", color: "#888888", values: analyses.map { a in
                    a.views.first { $0.view == .raw }.flatMap { chance($0.measures) }
                }, dashed: true))
            }
            let chart = LineChart(title: entry.label, xLabels: labels, series: series, floor: entry.range)
            return ["label": entry.label, "help": entry.help, "svg": chart.svg()]
        }
    }

    /// The measures this build has values for (UMAP's only when UMAP ran).
    var measureCatalog: [MeasureEntry] {
        MeasureCatalog.all.filter { entry in analyses.contains { $0.views.contains { entry.value($0.measures) != nil } } }
    }

    /// The PCA scatter plot of one view: massive tokens at the edge.
    func plot(_ v: LayerAnalysis.ViewResult, layer: Int, massive: Set<Int> = []) -> ScatterPlot {
        scatter(v.projection, massive: massive,
                label: "\(v.view.title), layer \(layer): PCA of \(v.measures.tokens) tokens",
                xLabel: "PC1 (\(NumberFormat.share(v.measures.pcaExplainedVariance.first)))",
                yLabel: "PC2 (\(NumberFormat.share(v.measures.pcaExplainedVariance.dropFirst().first)))")
    }

    /// The UMAP scatter plot of one view (fit tokens only: massive ones are not in it).
    func umapPlot(_ v: LayerAnalysis.ViewResult, _ layout: Projection, layer: Int) -> ScatterPlot {
        scatter(layout, massive: [], label: "\(v.view.title), layer \(layer): UMAP of \(v.measures.fitTokens) tokens",
                xLabel: "UMAP 1", yLabel: "UMAP 2")
    }

    func umapCaption(_ v: LayerAnalysis.ViewResult, analysis a: LayerAnalysis) -> String {
        let o = options.umapOptions
        var text = "UMAP of \(v.measures.fitTokens) tokens (n_neighbors \(o.neighbours), min_dist \(o.minDist), "
            + "\(o.metric == .cosine ? "cosine" : "euclidean"), seed \(o.seed))"
        if let reference = LayerAnalysis.alignmentReference(a.views.map(\.view)), reference != v.view {
            text += ", rotated or reflected onto the \(reference.title) view's UMAP (orthogonal Procrustes on shared tokens)"
        }
        text += "."
        if o.initialisation == .spectral && v.umapInitialisation == .random {
            text += " The spectral initialisation failed to converge; UMAP started from random points."
        }
        return text
    }

    private func scatter(_ projection: Projection, massive: Set<Int>, label: String, xLabel: String, yLabel: String) -> ScatterPlot {
        Self.scatter(run: run, shown: shown, projection, massive: massive, label: label, xLabel: xLabel, yLabel: yLabel)
    }

    /// A branch as a plot names it: "label (id)", or the id alone when the label is the same.
    static func branchName(_ b: Int, _ shown: ShownText) -> String {
        shown.labels[b] == shown.ids[b] ? shown.ids[b] : "\(shown.labels[b]) (\(shown.ids[b]))"
    }

    /// A scatter plot of a layout: a series per branch (named once, in its line's tooltip; a
    /// marker's tooltip gives the branch id, the position and the token), a child's trajectory starting from the
    /// parent token it forks after (when that token is in the layout).
    /// - Parameters:
    ///   - from: where each token lies in another layout on the same axes: drawn as lines to it
    ///     instead of the trajectories (the diff's moves).
    ///   - note: more for a token's tooltip.
    static func scatter(run: ActivationRun, shown: ShownText, _ projection: Projection, massive: Set<Int>, label: String,
                        xLabel: String, yLabel: String, from: [Point?]? = nil, note: (Int) -> String? = { _ in nil }) -> ScatterPlot {
        let offsets = run.branchOffsets
        let series = run.branches.indices.map { b -> ScatterPlot.Series in
            let branch = run.branches[b]
            var markers = [ScatterPlot.Marker]()
            for j in branch.tokens.indices {
                guard let point = projection.points[offsets[b] + j] else { continue }
                let t = offsets[b] + j
                var tooltip = "\(shown.ids[b]) · position \(branch.positions[j]) · \(TokenText.visible(branch.tokens[j]))"
                if massive.contains(t) {
                    tooltip += " · massive activation, drawn at the edge; at (\(NumberFormat.figure(point.x)), \(NumberFormat.figure(point.y)))"
                }
                if let extra = note(t) { tooltip += " · " + extra }
                markers.append(ScatterPlot.Marker(point: point, tooltip: tooltip, isRootStart: branch.parent == nil && j == 0,
                                                  isMassive: massive.contains(t), from: from?[t]))
            }
            let start = run.forkToken(of: b).flatMap { projection.points[$0] }
            return ScatterPlot.Series(branch: b, style: .forBranch(b), start: start, markers: markers,
                                      name: branchName(b, shown), trajectory: from == nil)
        }
        return ScatterPlot(label: label, xLabel: xLabel, yLabel: yLabel, series: series)
    }
}

/// The run's free text (title, model, labels, ids) as pages show it: control characters made
/// visible, since XML (and so inline SVG) does not allow most of them.
struct ShownText {
    let title: String
    let modelName: String
    let modelVersion: String?
    let labels: [String]
    let ids: [String]

    init(_ run: ActivationRun) {
        title = TokenText.visible(run.title)
        modelName = TokenText.visible(run.model.name)
        modelVersion = run.model.version.map(TokenText.visible)
        labels = run.branches.map { TokenText.visible($0.label) }
        ids = run.branches.map { TokenText.visible($0.id) }
    }
}

extension Dictionary where Key == String, Value == Any {
    /// This context with `key` set when `value` is present. Mustache renders an absent key as
    /// empty and false, whereas an Optional stored in `Any` would print as "nil".
    func setting(_ key: String, _ value: String?) -> Self {
        var copy = self
        if let value { copy[key] = value }
        return copy
    }
}
