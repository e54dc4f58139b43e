import Foundation
import ForkscopeNumerics

/// `report.json` (`forkscope.report/1`), written at the root of every site and read back by
/// `forkscope diff` and `--fail-if`.
///
/// A public contract: scripts read it. Keys are snake_case and stable; later versions add keys
/// (as `@Nullable`, so that older reports still read) and never rename them; a value that is absent
/// is written as `null`, never left out. Documented in docs/report-format.md.
public struct Report: Codable, Sendable {
    public static let format = "forkscope.report/1"

    public struct Model: Codable, Sendable {
        var name: String
        @Nullable var version: String?
        @Nullable var positional_encoding: String?
    }

    public struct Branch: Codable, Sendable {
        var id: String
        var label: String
        @Nullable var parent: String?
        @Nullable var fork_at: Int?
        var tokens: Int
        /// Site-relative folder of the branch's pages (`branches/<slug>/<layer>.html`).
        var pages: String
    }

    public struct RunSummary: Codable, Sendable {
        public var title: String
        var model: Model
        var hidden_size: Int
        var layers: [Int]
        var tokens: Int
        var branches: [Branch]
        var variants: [String]
    }

    public struct ViewInfo: Codable, Sendable {
        var title: String
        var description: String
    }

    /// The measures of a view at a layer (docs/views-and-measures.md): the token counts, every
    /// measure of `Measure.catalogue` by its key, and what each layout says of itself (PCA's
    /// explained variance, UMAP's initialisation; `ProjectionKind`'s keys).
    public struct Measures: Codable, Sendable {
        public var measures: ViewMeasures
        public var explainedVariance: [ProjectionKind: [Double]] = [:]
        public var initialisation: [ProjectionKind: String] = [:]
        /// The view's clusters (`forkscope diff` compares the measures only).
        var clusters: ClustersReport?

        public init(measures: ViewMeasures, layouts: [ProjectionKind: Layout] = [:], clusters: ClustersReport? = nil) {
            self.measures = measures
            self.clusters = clusters
            for (kind, layout) in layouts {
                if !layout.explainedVariance.isEmpty { explainedVariance[kind] = layout.explainedVariance }
                if let start = layout.initialisation { initialisation[kind] = start }
            }
        }

        /// The keys of the layouts' own figures, and of those among them that are lists.
        private static let layoutKeys = Set(ProjectionKind.allCases.flatMap { [$0.explainedVarianceKey, $0.initialisationKey].compactMap { $0 } })
        static let listKeys = Set(ProjectionKind.allCases.compactMap(\.explainedVarianceKey))

        /// Every number by its key, as `forkscope diff` compares them: the token counts, the
        /// measures, and the explained variances (a value per component). Non-finite numbers are
        /// absent, as report.json writes them.
        var numbers: [String: [Double?]] {
            var out: [String: [Double?]] = ["tokens": [Double(measures.tokens)], "fit_tokens": [Double(measures.fitTokens)],
                                            "neighbour_queries": [measures.neighbourQueries.map(Double.init)]]
            for (id, value) in measures.values { out[id.rawValue] = [Optional(value).finite] }
            for (kind, values) in explainedVariance {
                if let key = kind.explainedVarianceKey { out[key] = values.map { Optional($0).finite } }
            }
            return out
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: JSONKey.self)
            try c.encode(measures.tokens, forKey: "tokens")
            try c.encode(measures.fitTokens, forKey: "fit_tokens")
            try c.encode(measures.neighbourQueries, forKey: "neighbour_queries")
            for id in Set(Measure.catalogue.map(\.id)).union(measures.values.keys) {
                try c.encode(measures[id].finite, forKey: JSONKey(id.rawValue))
            }
            for kind in ProjectionKind.allCases {
                if let key = kind.explainedVarianceKey { try c.encode(explainedVariance[kind], forKey: JSONKey(key)) }
                if let key = kind.initialisationKey { try c.encode(initialisation[kind], forKey: JSONKey(key)) }
            }
            try c.encode(clusters, forKey: "clusters")
        }

        /// Reads every number as a measure, known to this version or not, so that a diff of
        /// reports from a later version still compares the measures it added.
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: JSONKey.self)
            measures = ViewMeasures(tokens: try c.decode(Int.self, forKey: "tokens"), fitTokens: try c.decode(Int.self, forKey: "fit_tokens"),
                                    neighbourQueries: try c.decodeIfPresent(Int.self, forKey: "neighbour_queries"))
            for kind in ProjectionKind.allCases {
                if let key = kind.explainedVarianceKey { explainedVariance[kind] = try c.decodeIfPresent([Double].self, forKey: JSONKey(key)) }
                if let key = kind.initialisationKey { initialisation[kind] = try c.decodeIfPresent(String.self, forKey: JSONKey(key)) }
            }
            clusters = try? c.decodeIfPresent(ClustersReport.self, forKey: "clusters")
            for key in c.allKeys where !["tokens", "fit_tokens", "neighbour_queries", "clusters"].contains(key.stringValue)
                && !Self.layoutKeys.contains(key.stringValue) {
                if let value = try? c.decodeIfPresent(Double.self, forKey: key) { measures.values[Measure.ID(rawValue: key.stringValue)] = value }
            }
        }
    }

    public struct Massive: Codable, Sendable {
        var branch: String
        var token_index: Int
        var position: Int
        var token: String
        var norm_ratio: Double
        var top_dimensions: [Int]
    }

    public struct Layer: Codable, Sendable {
        public var layer: Int
        var page: String
        var data: String
        var median_norm: Double
        /// Tokens far above the median norm; kept out of fits and measures unless `massive_excluded` is false.
        var massive: [Massive]
        var massive_excluded: Bool
        /// Mean cosine similarity between distinct fit tokens' raw states, and the few dimensions
        /// holding at least half of it (Timkey & van Schijndel 2021), if at most 8 do.
        @Nullable var mean_cosine: Double?
        @Nullable var rogue_dimensions: [RogueDimension]?
        /// The attribution ladder at this layer; null unless the raw view was built.
        @Nullable var attribution: AttributionReport?
        public var views: [String: Measures]
    }

    /// The settings the build used, so that a script can recompute any number.
    public struct Settings: Codable, Sendable {
        var views: [String]
        var massive_ratio: Double
        var keep_massive: Bool
        var regress_degree: Int
        var regress_fourier: Int
        var leace_concept: String
        /// Directions ABTT removed (the d/100 rule when not set).
        var abtt_components: Int
        var neighbours: Int
        /// The projections drawn: "pca", and "umap" unless turned off.
        var projections: [String]
        /// null when UMAP is off.
        @Nullable var umap: UMAPSettings?
        /// "hdbscan", "hdbscan:M", "kmeans:K" or "off" (`--clusters`).
        @Nullable var clusters: String?
    }

    /// UMAP's settings (umap-learn's names); `layers` null means every layer.
    public struct UMAPSettings: Codable, Sendable {
        var n_neighbors: Int
        var min_dist: Double
        var spread: Double
        /// null: umap-learn's default (500 up to 10,000 points, 200 above).
        @Nullable var n_epochs: Int?
        var metric: String
        var seed: UInt64
        /// "spectral" or "random": how layouts were asked to start (umap-learn's init).
        var `init`: String
        @Nullable var layers: [Int]?
        /// The view every other view's UMAP is rotated onto (orthogonal Procrustes).
        @Nullable var aligned_to: String?
        /// `--umap-views`: "auto", "all" or the views listed (null in reports of versions before it).
        @Nullable var view_selection: String?
        /// The views with a UMAP layout (at the layers UMAP ran on), in view order (null in
        /// reports of versions before `--umap-views`, which laid out every view).
        @Nullable var views: [String]?
    }

    public var format = Report.format
    public var generator: String
    public var settings: Settings
    public var run: RunSummary
    public var views: [String: ViewInfo]
    public var layers: [Layer]
    /// A paragraph computed from the measures: where position dominates, whether one token does,
    /// which view best separates content.
    public var verdict: String
    /// The view the verdict recommends for content with position removed; null without one.
    @Nullable public var recommended_view: String?
    public var warnings: [String]
}

extension Report {
    /// The report of a build: the run, every layer's analysis, the options and the verdict's text.
    init(run: ActivationRun, analyses: [LayerAnalysis], options: LayerAnalysis.Options, paths: SitePaths,
         verdict: Verdict, warnings: [Warning]) {
        let views = analyses.first?.views.map(\.view) ?? []
        let projections = options.projector.kinds
        self.init(
            generator: "forkscope \(Forkscope.version)",
            settings: Settings(views: views.map(\.name), massive_ratio: options.massiveRatio, keep_massive: options.keepMassive,
                               regress_degree: options.debias.regressDegree, regress_fourier: options.debias.regressFourier,
                               leace_concept: options.debias.leaceConcept.rawValue,
                               abtt_components: options.debias.abttComponents ?? AllButTheTop.defaultComponents(hiddenSize: run.hiddenSize),
                               neighbours: ViewMeasures.neighbours,
                               projections: projections.map(\.rawValue),
                               umap: projections.contains(.umap) ? UMAPSettings(options.umapOptions, layers: options.umapLayers.map { $0.sorted() },
                                                         alignedTo: LayerAnalysis.alignmentReference(views)?.name,
                                                         selection: options.umapViews,
                                                         laidOut: views.filter { v in analyses.contains { $0.views.contains { $0.view == v && $0.layouts[.umap] != nil } } }) : nil,
                               clusters: options.clusters.description),
            run: RunSummary(
                title: run.title,
                model: Model(name: run.model.name, version: run.model.version, positional_encoding: run.model.positionalEncoding),
                hidden_size: run.hiddenSize,
                layers: run.layers,
                tokens: run.tokenCount,
                branches: run.branches.enumerated().map { i, b in
                    Branch(id: b.id, label: b.label, parent: b.parent.map { run.branches[$0].id },
                           fork_at: b.forkAt, tokens: b.tokens.count, pages: paths.branchFolder(i))
                },
                variants: run.variants.map(\.name)),
            views: Dictionary(uniqueKeysWithValues: views.map { ($0.name, ViewInfo(title: $0.title, description: $0.summary)) }),
            layers: analyses.map { Layer($0, run: run, paths: paths, attribution: verdict.attribution) },
            verdict: VerdictText.paragraph(verdict, run: run),
            recommended_view: verdict.content?.view.name,
            warnings: warnings.map(\.description))
    }

    /// Reads a report.json (a file, or a built site holding one); errors name the file and the field.
    public static func read(at path: String) throws -> Report {
        var isDirectory: ObjCBool = false
        let file = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
            ? (path as NSString).appendingPathComponent("report.json") : path
        guard let data = FileManager.default.contents(atPath: file) else { throw InputError(file: file, "cannot be read") }
        guard (try? JSONSerialization.jsonObject(with: data)) is NSDictionary else { throw InputError(file: file, "is not a JSON object") }
        struct Format: Decodable { let format: String? }
        guard let format = try? JSONDecoder().decode(Format.self, from: data).format, format.hasPrefix("forkscope.report/") else {
            throw InputError(file: file, field: "format", "is not forkscope.report/1")
        }
        do {
            return try JSONDecoder().decode(Report.self, from: data)
        } catch let error as DecodingError {
            throw InputError(file: file, decoding: error)
        }
    }
}

extension Report.Layer {
    /// One layer's analysis as report.json holds it.
    init(_ a: LayerAnalysis, run: ActivationRun, paths: SitePaths, attribution: Attribution? = nil) {
        let offsets = run.branchOffsets, branchOf = run.tokenBranch
        self.init(
            layer: a.layer, page: paths.layerPage(a.layer), data: paths.layerData(a.layer),
            median_norm: a.medianNorm,
            massive: a.massive.map { m in
                let b = branchOf[m.token], j = m.token - offsets[b]
                return Report.Massive(branch: run.branches[b].id, token_index: j, position: run.branches[b].positions[j],
                                      token: run.branches[b].tokens[j], norm_ratio: m.normRatio, top_dimensions: m.topDimensions)
            },
            massive_excluded: a.massiveExcluded,
            mean_cosine: a.meanCosine.finite,
            rogue_dimensions: a.rogueDimensions,
            attribution: attribution.map { AttributionReport($0, at: a) },
            views: Dictionary(uniqueKeysWithValues: a.views.map {
                ($0.view.name, Report.Measures(measures: $0.measures, layouts: $0.layouts, clusters: $0.clusters.map { ClustersReport($0, run: run) }))
            }))
    }
}

extension Report.UMAPSettings {
    init(_ o: UMAP.Options, layers: [Int]?, alignedTo: String?, selection: UMAPViews, laidOut: [View]) {
        self.init(n_neighbors: o.neighbours, min_dist: o.minDist, spread: o.spread, n_epochs: o.epochs,
                  metric: o.metric.rawValue, seed: o.seed, init: o.initialisation.rawValue,
                  layers: layers, aligned_to: alignedTo, view_selection: selection.description, views: laidOut.map(\.name))
    }
}
