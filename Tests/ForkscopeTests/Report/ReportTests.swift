import Foundation
import Testing
import ForkscopeTestSupport
@testable import Forkscope

/// report.json (`forkscope.report/1`), decoded with the test's own types: the key names are the
/// public contract of docs/report-format.md and docs/views-and-measures.md.
@Suite("report.json")
struct ReportTests {
    typealias Kit = SiteTestKit

    struct File: Decodable {
        struct Model: Decodable { var name: String; var version: String?; var positional_encoding: String? }
        struct Branch: Decodable { var id: String; var label: String; var parent: String?; var fork_at: Int?; var tokens: Int; var pages: String }
        struct Run: Decodable {
            var title: String; var model: Model; var hidden_size: Int; var layers: [Int]; var tokens: Int
            var branches: [Branch]; var variants: [String]
        }
        struct Settings: Decodable {
            var views: [String]; var massive_ratio: Double; var keep_massive: Bool; var regress_degree: Int
            var regress_fourier: Int; var leace_concept: String; var abtt_components: Int; var neighbours: Int
        }
        struct ViewInfo: Decodable { var title: String; var description: String }
        struct Measures: Decodable {
            var tokens: Int; var fit_tokens: Int; var variance_kept: Double?
            var position_r2: Double?; var position_r2_heldout: Double?; var position_r2_chance: Double?
            var position_probe: Double?
            var root_knn_purity: Double?; var root_knn_chance: Double?
            var branch_knn_purity: Double?; var branch_knn_chance: Double?
            var pca_explained_variance: [Double]?; var trustworthiness: Double?; var silhouette_root: Double?
        }
        struct Massive: Decodable {
            var branch: String; var token_index: Int; var position: Int; var token: String
            var norm_ratio: Double; var top_dimensions: [Int]
        }
        struct Layer: Decodable {
            var layer: Int; var page: String; var data: String; var median_norm: Double
            var massive: [Massive]; var massive_excluded: Bool; var views: [String: Measures]
        }
        var format: String
        var generator: String
        var settings: Settings
        var run: Run
        var views: [String: ViewInfo]
        var layers: [Layer]
        var verdict: String
        var warnings: [String]
    }

    static let topLevelKeys: Set<String> = ["format", "generator", "settings", "run", "views", "layers", "verdict", "recommended_view", "warnings"]
    static let layerKeys: Set<String> = ["layer", "page", "data", "median_norm", "massive", "massive_excluded", "mean_cosine",
                                                "rogue_dimensions", "attribution", "views"]
    static let measureKeys: Set<String> = [
        "tokens", "fit_tokens", "variance_kept", "position_r2", "position_r2_heldout", "position_r2_chance", "position_probe",
        "position_knn_r2", "position_knn_r2_control", "position_knn_selectivity",
        "root_knn_purity", "root_knn_chance", "branch_knn_purity", "branch_knn_chance", "pca_explained_variance",
        "trustworthiness", "silhouette_root", "umap_trustworthiness", "umap_initialisation", "neighbour_queries",
        "cluster_ami_position", "cluster_ami_root", "cluster_ami_branch", "cluster_ami_token", "clusters",
    ]
    static let settingsKeys: Set<String> = ["views", "massive_ratio", "keep_massive", "regress_degree", "regress_fourier",
                                            "leace_concept", "abtt_components", "neighbours", "projections", "umap", "clusters"]

    static func decode(_ site: URL) throws -> (File, [String: Any]) {
        let data = try Data(contentsOf: site.appendingPathComponent("report.json"))
        let file = try JSONDecoder().decode(File.self, from: data)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return (file, object)
    }

    /// `root_knn_chance`: mean over the tokens of (tokens of the same label − 1) / (n − 1); nil below 2 tokens.
    static func chancePurity(_ labels: [String]) -> Double? {
        guard labels.count >= 2 else { return nil }
        var counts = [String: Int]()
        for l in labels { counts[l, default: 0] += 1 }
        return labels.reduce(0.0) { $0 + Double(counts[$1]! - 1) } / Double(labels.count - 1) / Double(labels.count)
    }

    /// `position_r2_chance` (G − 1)/(N − 1) over `tokens`: G positions held by ≥ 2 of their branches, N tokens at them.
    static func chanceR2(_ tokens: [Int], _ info: SiteTestKit.RunInfo) -> Double? {
        let ids = info.tokenBranchIDs, positions = info.tokenPositions
        var branchesAt = [Int: Set<String>]()
        for t in tokens { branchesAt[positions[t], default: []].insert(ids[t]) }
        let supported = Set(branchesAt.filter { $0.value.count >= 2 }.keys)
        let n = tokens.filter { supported.contains(positions[$0]) }.count
        guard n >= 2, !supported.isEmpty else { return nil }
        return Double(supported.count - 1) / Double(n - 1)
    }

    @Test("decodes with the documented keys and agrees with the run", arguments: ["Examples/topics-mini", "Tests/Fixtures/runs/tree-f32"])
    func contents(run: String) throws {
        let runPath = Fixtures.packageRoot.appendingPathComponent(run).path
        let info = try Kit.runInfo(runPath)
        try Kit.withBuiltSite(run: runPath) { site, _ in
            let (report, object) = try Self.decode(site)
            #expect(report.format == "forkscope.report/1")
            #expect(Set(object.keys) == Self.topLevelKeys)
            #expect(report.generator == "forkscope \(Forkscope.version)")
            #expect(report.run.layers == info.layers)
            #expect(report.run.tokens == info.tokenCount)
            #expect(report.run.hidden_size == info.hiddenSize)
            #expect(report.run.variants == info.variants)
            #expect(report.run.branches.map(\.id) == info.branches.map(\.id))
            for (b, r) in zip(info.branches, report.run.branches) {
                #expect(r.label == b.label && r.parent == b.parent && r.fork_at == b.forkAt && r.tokens == b.tokens.count)
                #expect(r.pages.hasPrefix("branches/") && r.pages.hasSuffix("/"))
                for l in info.layers {
                    #expect(FileManager.default.fileExists(atPath: site.appendingPathComponent(r.pages + "\(l).html").path))
                }
            }

            // The settings of a default build (docs/views-and-measures.md).
            let views = Kit.defaultViews(info)
            #expect(report.settings.views == views)
            #expect(report.settings.massive_ratio == 10 && report.settings.keep_massive == false)
            #expect(report.settings.regress_degree == 3 && report.settings.regress_fourier == 4)
            #expect(report.settings.leace_concept == "basis")
            #expect(report.settings.abtt_components == max(1, Int((Double(info.hiddenSize) / 100).rounded())))
            #expect(report.settings.neighbours == 10)

            #expect(Set(report.views.keys) == Set(views))
            #expect(report.views["raw"]?.title == "Raw")
            for (name, v) in report.views { #expect(!v.title.isEmpty && !v.description.isEmpty, "view \(name)") }
            #expect(!report.verdict.isEmpty)
            #expect(report.layers.map(\.layer) == info.layers)

            let ids = info.tokenBranchIDs, groups = info.tokenRootGroups
            for layer in report.layers {
                let at = "layer \(layer.layer)"
                #expect(layer.page == "layers/\(layer.layer).html" && layer.data == "layers/\(layer.layer).csv")
                #expect(FileManager.default.fileExists(atPath: site.appendingPathComponent(layer.page).path))
                #expect(FileManager.default.fileExists(atPath: site.appendingPathComponent(layer.data).path))
                #expect(Set(layer.views.keys) == Set(views), "\(at)")
                #expect(layer.median_norm > 0, "\(at)")
                #expect(layer.massive_excluded, "\(at): massive tokens are kept out of fits by default")

                // Massive tokens name real tokens; ratio above the threshold; three distinct dimensions.
                var massive = Set<Int>()
                for m in layer.massive {
                    let b = try #require(info.branches.first { $0.id == m.branch }, "\(at): massive token of unknown branch \(m.branch)")
                    try #require(b.tokens.indices.contains(m.token_index))
                    #expect(m.position == b.positions[m.token_index] && m.token == b.tokens[m.token_index], "\(at): \(m)")
                    #expect(m.norm_ratio > report.settings.massive_ratio, "\(at): \(m)")
                    #expect(m.top_dimensions.count == 3 && Set(m.top_dimensions).count == 3, "\(at): \(m)")
                    #expect(m.top_dimensions.allSatisfy { (0..<info.hiddenSize).contains($0) }, "\(at): \(m)")
                    massive.insert(info.offset(of: m.branch) + m.token_index)
                }
                #expect(massive.count == layer.massive.count, "\(at): a massive token listed twice")

                // Which tokens each view covers and fits on.
                var erasedAll = Set<String>()
                defer {
                    // tree-f32 (hidden size 8) has 11 positions: the smooth basis of position (12 columns)
                    // spans every direction of its states, so LEACE erases everything; 576
                    // dimensions of the demo leave plenty.
                    #expect(Set(erasedAll) == (run.hasSuffix("tree-f32") ? ["leace", "leace+z"] : []), "\(at): views that erased everything: \(erasedAll)")
                }
                let all = Array(0..<info.tokenCount)
                let supported = info.supportedTokens(excluding: massive)
                for name in views {
                    let m = try #require(layer.views[name])
                    let covered = name.hasPrefix("position_mean") ? supported : all
                    let fit = covered.filter { !massive.contains($0) }
                    #expect(m.tokens == covered.count, "\(at) \(name): tokens")
                    #expect(m.fit_tokens == fit.count, "\(at) \(name): fit_tokens")

                    // A view that kept nothing but rounding noise (docs/views-and-measures.md: variance_kept
                    // below 1e-12, e.g. LEACE of a concept with as many columns as the states have
                    // dimensions) reports tokens, fit_tokens and variance_kept only.
                    let kept = try #require(m.variance_kept, "\(at) \(name)")
                    #expect(kept >= 0, "\(at) \(name) variance_kept \(kept)")
                    if kept < 1e-12 {
                        erasedAll.insert(name)
                        let others: [Double?] = [m.position_r2, m.position_r2_heldout, m.position_r2_chance, m.position_probe,
                                                 m.root_knn_purity, m.root_knn_chance, m.branch_knn_purity, m.branch_knn_chance,
                                                 m.trustworthiness, m.silhouette_root]
                        #expect(others.allSatisfy { $0 == nil } && m.pca_explained_variance == nil, "\(at) \(name): measures of rounding noise")
                        continue
                    }
                    // Every view but zero_pe (other states) removes something from the raw states:
                    // it keeps at most all of their variance.
                    if name != "zero_pe" { #expect(kept <= 1 + 1e-9, "\(at) \(name) variance_kept \(kept)") }

                    // Chance levels depend on the labels only: recomputed from run.json.
                    Self.expectClose(m.root_knn_chance, Self.chancePurity(fit.map { groups[$0] }), "\(at) \(name) root_knn_chance")
                    Self.expectClose(m.branch_knn_chance, Self.chancePurity(fit.map { ids[$0] }), "\(at) \(name) branch_knn_chance")
                    Self.expectClose(m.position_r2_chance, Self.chanceR2(fit, info), "\(at) \(name) position_r2_chance")

                    let shares = try #require(m.pca_explained_variance, "\(at) \(name)")
                    #expect(shares.count == 2)
                    #expect(shares.allSatisfy { $0 >= 0 && $0 <= 1 + 1e-12 })
                    #expect(shares[0] >= shares[1])
                    #expect(shares.reduce(0, +) <= 1 + 1e-12)
                    if let r2 = m.position_r2 { #expect(r2 >= -1e-9 && r2 <= 1 + 1e-9, "\(at) \(name): \(r2)") }
                    for (key, v) in [("root_knn_purity", m.root_knn_purity), ("branch_knn_purity", m.branch_knn_purity),
                                     ("trustworthiness", m.trustworthiness)] {
                        let v = try #require(v, "\(at) \(name) \(key) is null")
                        #expect(v >= 0 && v <= 1, "\(at) \(name) \(key) = \(v)")
                    }
                    if let s = m.silhouette_root { #expect(s >= -1 && s <= 1, "\(at) \(name) silhouette \(s)") }
                    #expect(m.position_probe != nil, "\(at) \(name): position_probe is null")
                }
                let raw = try #require(layer.views["raw"]), mean = try #require(layer.views["position_mean"])
                #expect(raw.tokens == info.tokenCount)
                #expect(abs((raw.variance_kept ?? 0) - 1) < 1e-12)
                // Position means removed: position explains nothing any more.
                #expect(abs(mean.position_r2 ?? 0) < 1e-9)
            }
        }
    }

    static func expectClose(_ got: Double?, _ want: Double?, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        switch (got, want) {
        case (nil, nil): break
        case let (g?, w?): #expect(abs(g - w) <= 1e-12, "\(what): \(g) vs \(w)", sourceLocation: sourceLocation)
        default: Issue.record("\(what): \(String(describing: got)) vs \(String(describing: want))", sourceLocation: sourceLocation)
        }
    }

    @Test("keys are sorted and slashes are not escaped, so diffs stay readable")
    func formatting() throws {
        try Kit.withBuiltSite(run: Fixtures.treeF32) { site, _ in
            let text = try Kit.text(site.appendingPathComponent("report.json"))
            #expect(text.hasSuffix("}\n"))
            #expect(!text.contains("\\/"))
            #expect(text.contains("\"page\" : \"layers/0.html\"") || text.contains("\"page\": \"layers/0.html\""))
            // Top-level keys sit at two spaces of indentation.
            let top = ["format", "generator", "layers", "run", "settings", "verdict", "views", "warnings"].map { "\n  \"\($0)\"" }
            let offsets = top.compactMap { text.range(of: $0)?.lowerBound }
            #expect(offsets.count == top.count && offsets == offsets.sorted())
        }
    }

    @Test("hostile token texts do not reach report.json; labels round-trip")
    func hostileText() throws {
        try Kit.withBuiltSite(run: Fixtures.treeF32) { site, _ in
            let (report, _) = try Self.decode(site)
            #expect(report.run.title.contains("hostile token texts"))
            #expect(report.run.branches.map(\.label) == ["root r1", "branch r1.a", "branch r1.b", "branch r1.a.x", "root r2", "branch r2.a"])
            #expect(report.run.branches[3].parent == "r1.a" && report.run.branches[3].fork_at == 2)
            #expect(report.warnings.isEmpty)
        }
    }
    /// docs/report-format.md: keys are stable and "a measure that cannot be computed is `null`";
    /// its example shows `"parent": null, "fork_at": null` for a root. Report.swift's synthesized
    /// Encodable uses encodeIfPresent for Optionals, which drops such keys instead.
    @Test("every documented key is present in every object, null where there is no value")
    func keysAlwaysPresent() throws {
        try Kit.withBuiltSite(run: Fixtures.treeF32) { site, _ in
            let (_, object) = try Self.decode(site)
            let run = try #require(object["run"] as? [String: Any])
            #expect(Set(run.keys) == ["title", "model", "hidden_size", "layers", "tokens", "branches", "variants"])
            let model = try #require(run["model"] as? [String: Any])
            #expect(Set(model.keys) == ["name", "version", "positional_encoding"])
            for branch in try #require(run["branches"] as? [[String: Any]]) {
                #expect(Set(branch.keys) == ["id", "label", "parent", "fork_at", "tokens", "pages"], "branch \(branch["id"] ?? "?")")
            }
            let roots = try #require(run["branches"] as? [[String: Any]]).filter { ["r1", "r2"].contains($0["id"] as? String) }
            for root in roots {
                #expect(root["parent"] is NSNull && root["fork_at"] is NSNull, "root \(root["id"] ?? "?"): \(root)")
            }
            let settings = try #require(object["settings"] as? [String: Any])
            #expect(Set(settings.keys) == Self.settingsKeys)
            for layer in try #require(object["layers"] as? [[String: Any]]) {
                #expect(Set(layer.keys) == Self.layerKeys)
                for m in try #require(layer["massive"] as? [[String: Any]]) {
                    #expect(Set(m.keys) == ["branch", "token_index", "position", "token", "norm_ratio", "top_dimensions"])
                }
                let views = try #require(layer["views"] as? [String: [String: Any]])
                #expect(Set(views.keys) == Set(try #require(settings["views"] as? [String])))
                for (name, view) in views {
                    #expect(Set(view.keys) == Self.measureKeys, "\(name): \(view.keys.sorted())")
                    // A view that kept anything has its clusters, every documented key present.
                    guard let clusters = view["clusters"] as? [String: Any] else { continue }
                    #expect(Set(clusters.keys) == ["method", "parameters", "tokens", "sampled", "count", "noise_share", "sweep",
                                                   "ami_root", "ami_branch", "ami_position", "ami_token",
                                                   "ari_root", "ari_branch", "ari_position", "ari_token", "clusters"], "\(name)")
                    #expect(Set(try #require(clusters["parameters"] as? [String: Any]).keys) == ["min_cluster_size", "min_samples", "k", "restarts"])
                    for group in try #require(clusters["clusters"] as? [[String: Any]]) {
                        #expect(Set(group.keys) == ["id", "size", "label", "positions", "roots", "branches", "top_tokens", "exemplars"])
                        for e in try #require(group["exemplars"] as? [[String: Any]]) {
                            #expect(Set(e.keys) == ["branch", "token_index", "position", "token", "before", "after"])
                        }
                    }
                }
            }
        }
    }

    @Test("degenerate runs: measures that cannot be computed are null, not missing or empty",
          arguments: SiteTestKit.degenerateRuns)
    func degenerateMeasuresAreNull(name: String) throws {
        try TemporaryFolder.with { tmp in
            let run = tmp.appendingPathComponent(name)
            try Kit.writeDegenerateRun(name, at: run)
            let info = try Kit.runInfo(run.path)
            let site = tmp.appendingPathComponent("site")
            _ = try Build.run(BuildOptions(run: run.path, out: site.path))
            let (_, object) = try Self.decode(site)
            let names = try Kit.settingsViews(site)
            #expect(names == Kit.defaultViews(info))
            for layer in try #require(object["layers"] as? [[String: Any]]) {
                let views = try #require(layer["views"] as? [String: [String: Any]])
                #expect(Set(views.keys) == Set(names))
                for view in names {
                    let m = try #require(views[view])
                    #expect(Set(m.keys) == Self.measureKeys, "\(name) \(view): \(m.keys.sorted())")
                    let tokens = m["tokens"] as? Int ?? -1
                    #expect(tokens == (view.hasPrefix("position_mean") ? info.supportedTokenCount : info.tokenCount), "\(name) \(view)")
                    // position_r2 needs supported tokens and some variance; every view of these runs
                    // lacks one or the other, so it is null (and present). The position probe needs
                    // two folds with at least two training tokens: none of these runs has them.
                    #expect(m["position_r2"] is NSNull, "\(name) \(view): position_r2 = \(m["position_r2"] ?? "missing")")
                    #expect(m["position_probe"] is NSNull, "\(name) \(view): position_probe = \(m["position_probe"] ?? "missing")")
                    // A view that kept nothing but rounding noise has no layout (docs/views-and-measures.md).
                    let erasedAll = ((m["variance_kept"] as? Double) ?? 1) < 1e-12
                    if tokens < 2 || erasedAll {
                        #expect(m["pca_explained_variance"] is NSNull,
                                "\(name) \(view): \(tokens) tokens, pca_explained_variance = \(m["pca_explained_variance"] ?? "missing")")
                        for key in ["root_knn_purity", "branch_knn_purity", "trustworthiness", "silhouette_root",
                                    "umap_trustworthiness", "umap_initialisation", "neighbour_queries"] {
                            #expect(m[key] is NSNull, "\(name) \(view): \(tokens) tokens, \(key) = \(m[key] ?? "missing")")
                        }
                    } else {
                        #expect((m["pca_explained_variance"] as? [Double])?.count == 2, "\(name) \(view)")
                    }
                }
            }
            // Pages still build and their plots parse.
            let layers = try #require(object["layers"] as? [[String: Any]])
            for (l, layer) in zip(info.layers, layers) {
                let html = try Kit.text(site.appendingPathComponent("layers/\(l).html"))
                let svgs = Kit.svgFragments(html).filter { $0.contains("class=\"scatter") }
                // UMAP needs 4 fit tokens: a plot for each view that has one, beside the PCA plots.
                let umaps = (layer["views"] as? [String: [String: Any]])?.values.filter {
                    guard $0["umap_initialisation"] is String else { return false }
                    return (($0["fit_tokens"] as? Int) ?? 0) >= 4
                }.count ?? 0
                #expect(svgs.count == names.count + umaps, "one PCA plot per view, one UMAP plot per view with UMAP")
                for svg in svgs { #expect(Kit.xmlError(svg) == nil) }
            }
        }
    }
}
