import ForkscopeNumerics

/// One view's clusters at one layer as report.json writes them (`layers[].views[].clusters`,
/// docs/report-format.md).
public struct ClustersReport: Codable, Sendable {
    struct Parameters: Codable, Sendable {
        @Nullable var min_cluster_size: Int?
        @Nullable var min_samples: Int?
        @Nullable var k: Int?
        @Nullable var restarts: Int?
    }

    struct SweepPoint: Codable, Sendable {
        var min_cluster_size: Int
        var count: Int
        var noise_share: Double
    }

    struct Positions: Codable, Sendable {
        var min: Int
        var max: Int
        var histogram: [Int]
    }

    struct RootShare: Codable, Sendable { var root: String; var share: Double }
    struct BranchShare: Codable, Sendable { var branch: String; var share: Double }
    struct TopToken: Codable, Sendable { var token: String; var score: Double; var count: Int }

    struct Exemplar: Codable, Sendable {
        var branch: String
        var token_index: Int
        var position: Int
        var token: String
        var before: [String]
        var after: [String]
    }

    struct Group: Codable, Sendable {
        var id: Int
        var size: Int
        var label: String
        var positions: Positions
        var roots: [RootShare]
        var branches: [BranchShare]
        var top_tokens: [TopToken]
        var exemplars: [Exemplar]
    }

    var method: String
    var parameters: Parameters
    var tokens: Int
    var sampled: Int
    var count: Int
    var noise_share: Double
    @Nullable var sweep: [SweepPoint]?
    var ami_root, ami_branch, ami_position, ami_token: Double
    var ari_root, ari_branch, ari_position, ari_token: Double
    var clusters: [Group]

    /// Tokens of context on each side of an exemplar.
    static let contextWidth = 3

    init(_ c: ViewClusters, run: ActivationRun) {
        let offsets = run.branchOffsets, branchOf = run.tokenBranch
        method = c.method.rawValue
        parameters = c.method == .hdbscan
            ? Parameters(min_cluster_size: c.parameter, min_samples: c.minSamples)
            : Parameters(k: c.parameter, restarts: KMeans.defaultRestarts)
        tokens = c.tokens.count
        sampled = c.sampled
        count = c.count
        noise_share = c.noiseShare
        sweep = c.method == .hdbscan ? c.sweep.map { SweepPoint(min_cluster_size: $0.minClusterSize, count: $0.count, noise_share: $0.noiseShare) } : nil
        let a = c.agreement
        (ami_root, ami_branch, ami_position, ami_token) = (a.amiRoot, a.amiBranch, a.amiPosition, a.amiToken)
        (ari_root, ari_branch, ari_position, ari_token) = (a.ariRoot, a.ariBranch, a.ariPosition, a.ariToken)
        clusters = c.groups.map { g in
            Group(id: g.id, size: g.size, label: g.kind.rawValue,
                  positions: Positions(min: g.positionRange.lowerBound, max: g.positionRange.upperBound, histogram: g.histogram),
                  roots: g.roots.map { RootShare(root: $0.name, share: $0.share) },
                  branches: g.branches.map { BranchShare(branch: $0.name, share: $0.share) },
                  top_tokens: g.topTokens.map { TopToken(token: $0.text, score: $0.score, count: $0.count) },
                  exemplars: g.exemplars.map { t in
                      let b = branchOf[t], j = t - offsets[b], context = run.context(branch: b, index: j, width: Self.contextWidth)
                      return Exemplar(branch: run.branches[b].id, token_index: j, position: run.branches[b].positions[j],
                                      token: run.branches[b].tokens[j], before: context.before, after: context.after)
                  })
        }
    }
}
