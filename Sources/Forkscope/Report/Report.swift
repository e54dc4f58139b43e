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

    public struct Measures: Encodable, Sendable {
        var position_r2: Double?
        /// Nil when the view has fewer than two tokens.
        var pca_explained_variance: [Double]?
        var tokens: Int

        enum CodingKeys: CodingKey { case position_r2, pca_explained_variance, tokens }
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(position_r2, forKey: .position_r2)
            try c.encode(pca_explained_variance, forKey: .pca_explained_variance)
            try c.encode(tokens, forKey: .tokens)
        }
    }

    public struct Layer: Encodable, Sendable {
        var layer: Int
        var page: String
        var data: String
        var views: [String: Measures]
    }

    public var format = Report.format
    public var generator: String
    public var run: RunSummary
    public var views: [String: ViewInfo]
    public var layers: [Layer]
    public var warnings: [String]
}

extension Report {
    init(run: ActivationRun, analyses: [LayerAnalysis], paths: SitePaths, warnings: [Warning]) {
        let views = analyses.first?.views.map(\.view) ?? []
        self.init(
            generator: "forkscope \(Forkscope.version)",
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
            views: Dictionary(uniqueKeysWithValues: views.map { ($0.rawValue, ViewInfo(title: $0.title, description: $0.summary)) }),
            layers: analyses.map { a in
                Layer(layer: a.layer, page: paths.layerPage(a.layer), data: paths.layerData(a.layer),
                      views: Dictionary(uniqueKeysWithValues: a.views.map { v in
                          (v.view.rawValue, Measures(position_r2: v.measures.positionR2.flatMap { $0.isFinite ? $0 : nil },
                                                     pca_explained_variance: v.measures.pcaExplainedVariance.isEmpty ? nil : v.measures.pcaExplainedVariance,
                                                     tokens: v.measures.tokens))
                      }))
            },
            warnings: warnings.map(\.description))
    }
}

