import ForkscopeNumerics

/// `report.json` (`forkscope.report/1`), written at the root of every site.
///
/// A public contract: scripts read it. Keys are snake_case and stable; later versions add keys
/// and never rename them; a value that is absent is written as `null`, never left out (the
/// synthesised `Encodable` would drop nil keys, hence the explicit `encode(to:)` below).
/// Documented in docs/report-format.md.
public struct Report: Encodable, Sendable {
    public static let format = "forkscope.report/1"

    public struct Model: Encodable, Sendable {
        var name: String
        var version: String?
        var positional_encoding: String?

        enum CodingKeys: CodingKey { case name, version, positional_encoding }
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(name, forKey: .name)
            try c.encode(version, forKey: .version)
            try c.encode(positional_encoding, forKey: .positional_encoding)
        }
    }

    public struct Branch: Encodable, Sendable {
        var id: String
        var label: String
        var parent: String?
        var fork_at: Int?
        var tokens: Int
        /// Site-relative folder of the branch's pages (`branches/<slug>/<layer>.html`).
        var pages: String

        enum CodingKeys: CodingKey { case id, label, parent, fork_at, tokens, pages }
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(label, forKey: .label)
            try c.encode(parent, forKey: .parent)
            try c.encode(fork_at, forKey: .fork_at)
            try c.encode(tokens, forKey: .tokens)
            try c.encode(pages, forKey: .pages)
        }
    }

    public struct RunSummary: Encodable, Sendable {
        var title: String
        var model: Model
        var hidden_size: Int
        var layers: [Int]
        var tokens: Int
        var branches: [Branch]
        var variants: [String]
    }

    public struct ViewInfo: Encodable, Sendable {
        var title: String
        var description: String
    }

    /// The measures of a view at a layer; docs/views-and-measures.md defines each.
    public struct Measures: Encodable, Sendable {
        let m: ViewMeasures
        /// "spectral" or "random" (the eigensolver failed); nil where UMAP was not computed.
        let umapInitialisation: String?

        enum CodingKeys: String, CodingKey {
            case tokens, fit_tokens, variance_kept, position_r2, position_r2_heldout, position_r2_chance,
                 position_probe, root_knn_purity, root_knn_chance, branch_knn_purity, branch_knn_chance,
                 pca_explained_variance, trustworthiness, silhouette_root, umap_trustworthiness, umap_initialisation,
                 neighbour_queries
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            func put(_ v: Double?, _ key: CodingKeys) throws { try c.encode(v.flatMap { $0.isFinite ? $0 : nil }, forKey: key) }
            try c.encode(m.tokens, forKey: .tokens)
            try c.encode(m.fitTokens, forKey: .fit_tokens)
            try put(m.varianceKept, .variance_kept)
            try put(m.positionR2, .position_r2)
            try put(m.positionR2HeldOut, .position_r2_heldout)
            try put(m.positionR2Chance, .position_r2_chance)
            try put(m.positionProbe, .position_probe)
            try put(m.rootKnnPurity, .root_knn_purity)
            try put(m.rootKnnChance, .root_knn_chance)
            try put(m.branchKnnPurity, .branch_knn_purity)
            try put(m.branchKnnChance, .branch_knn_chance)
            try c.encode(m.pcaExplainedVariance.isEmpty ? nil : m.pcaExplainedVariance, forKey: .pca_explained_variance)
            try put(m.trustworthiness, .trustworthiness)
            try put(m.silhouetteRoot, .silhouette_root)
            try put(m.umapTrustworthiness, .umap_trustworthiness)
            try c.encode(umapInitialisation, forKey: .umap_initialisation)
            try c.encode(m.neighbourQueries, forKey: .neighbour_queries)
        }
    }

    public struct Massive: Encodable, Sendable {
        var branch: String
        var token_index: Int
        var position: Int
        var token: String
        var norm_ratio: Double
        var top_dimensions: [Int]
    }

    public struct Layer: Encodable, Sendable {
        var layer: Int
        var page: String
        var data: String
        var median_norm: Double
        /// Tokens far above the median norm; kept out of fits and measures unless `massive_excluded` is false.
        var massive: [Massive]
        var massive_excluded: Bool
        var views: [String: Measures]
    }

    /// The settings the build used, so that a script can recompute any number.
    public struct Settings: Encodable, Sendable {
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
        var umap: UMAPSettings?

        enum CodingKeys: CodingKey {
            case views, massive_ratio, keep_massive, regress_degree, regress_fourier, leace_concept, abtt_components,
                 neighbours, projections, umap
        }
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(views, forKey: .views)
            try c.encode(massive_ratio, forKey: .massive_ratio)
            try c.encode(keep_massive, forKey: .keep_massive)
            try c.encode(regress_degree, forKey: .regress_degree)
            try c.encode(regress_fourier, forKey: .regress_fourier)
            try c.encode(leace_concept, forKey: .leace_concept)
            try c.encode(abtt_components, forKey: .abtt_components)
            try c.encode(neighbours, forKey: .neighbours)
            try c.encode(projections, forKey: .projections)
            try c.encode(umap, forKey: .umap)  // null when UMAP is off
        }
    }

    /// UMAP's settings (umap-learn's names); `layers` null means every layer.
    public struct UMAPSettings: Encodable, Sendable {
        var n_neighbors: Int
        var min_dist: Double
        var spread: Double
        /// null: umap-learn's default (500 up to 10,000 points, 200 above).
        var n_epochs: Int?
        var metric: String
        var seed: UInt64
        /// "spectral" or "random": how layouts were asked to start (umap-learn's init).
        var `init`: String
        var layers: [Int]?
        /// The view every other view's UMAP is rotated onto (orthogonal Procrustes).
        var aligned_to: String?

        enum CodingKeys: CodingKey { case n_neighbors, min_dist, spread, n_epochs, metric, seed, `init`, layers, aligned_to }
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(n_neighbors, forKey: .n_neighbors)
            try c.encode(min_dist, forKey: .min_dist)
            try c.encode(spread, forKey: .spread)
            try c.encode(n_epochs, forKey: .n_epochs)
            try c.encode(metric, forKey: .metric)
            try c.encode(seed, forKey: .seed)
            try c.encode(`init`, forKey: .`init`)
            try c.encode(layers, forKey: .layers)
            try c.encode(aligned_to, forKey: .aligned_to)
        }
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
    public var warnings: [String]
}

extension Report {
    init(run: ActivationRun, analyses: [LayerAnalysis], options: LayerAnalysis.Options, paths: SitePaths,
         verdict: String, warnings: [Warning]) {
        let views = analyses.first?.views.map(\.view) ?? []
        self.init(
            generator: "forkscope \(Forkscope.version)",
            settings: Settings(views: views.map(\.name), massive_ratio: options.massiveRatio, keep_massive: options.keepMassive,
                               regress_degree: options.debias.regressDegree, regress_fourier: options.debias.regressFourier,
                               leace_concept: options.debias.leaceConcept.rawValue,
                               abtt_components: options.debias.abttComponents ?? AllButTheTop.defaultComponents(hiddenSize: run.hiddenSize),
                               neighbours: ViewMeasures.neighbours,
                               projections: options.umap ? ["pca", "umap"] : ["pca"],
                               umap: options.umap ? UMAPSettings(options.umapOptions, layers: options.umapLayers.map { $0.sorted() },
                                                                 alignedTo: LayerAnalysis.alignmentReference(views)?.name) : nil),
            run: RunSummary(
                title: run.title,
                model: Model(name: run.model.name, version: run.model.version,
                             positional_encoding: run.model.positionalEncoding),
                hidden_size: run.hiddenSize,
                layers: run.layers,
                tokens: run.tokenCount,
                branches: run.branches.enumerated().map { i, b in
                    Branch(id: b.id, label: b.label, parent: b.parent.map { run.branches[$0].id },
                           fork_at: b.forkAt, tokens: b.tokens.count, pages: paths.branchFolder(i))
                },
                variants: run.variants.map(\.name)),
            views: Dictionary(uniqueKeysWithValues: views.map { ($0.name, ViewInfo(title: $0.title, description: $0.summary)) }),
            layers: analyses.map { a in
                let offsets = run.branchOffsets, branchOf = run.tokenBranch
                return Layer(
                    layer: a.layer, page: paths.layerPage(a.layer), data: paths.layerData(a.layer),
                    median_norm: a.medianNorm,
                    massive: a.massive.map { m in
                        let b = branchOf[m.token], j = m.token - offsets[b]
                        return Massive(branch: run.branches[b].id, token_index: j, position: run.branches[b].positions[j],
                                       token: run.branches[b].tokens[j], norm_ratio: m.normRatio, top_dimensions: m.topDimensions)
                    },
                    massive_excluded: a.massiveExcluded,
                    views: Dictionary(uniqueKeysWithValues: a.views.map {
                        ($0.view.name, Measures(m: $0.measures, umapInitialisation: $0.umapInitialisation?.rawValue))
                    }))
            },
            verdict: verdict,
            warnings: warnings.map(\.description))
    }
}


extension Report.UMAPSettings {
    init(_ o: UMAP.Options, layers: [Int]?, alignedTo: String?) {
        self.init(n_neighbors: o.neighbours, min_dist: o.minDist, spread: o.spread, n_epochs: o.epochs,
                  metric: o.metric == .cosine ? "cosine" : "euclidean", seed: o.seed, init: o.initialisation.rawValue,
                  layers: layers, aligned_to: alignedTo)
    }
}
