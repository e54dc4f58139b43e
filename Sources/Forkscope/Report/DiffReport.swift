import Foundation
import ForkscopeNumerics

/// `diff.json` at the root of every diff site (forkscope.diff/1): what `forkscope diff` compared
/// and found, for scripts. A public contract like report.json: keys are snake_case and stable;
/// later versions add keys, never rename them. Absent values are `null`. docs/diff-format.md
/// describes every key.
public struct DiffReport: Codable, Sendable {
    public static let format = "forkscope.diff/1"

    struct Side: Codable, Sendable {
        /// "run" or "report": what was given.
        var source: String
        @Nullable var title: String?
        @Nullable var model: Report.Model?
        var layers: [Int]
    }
    struct Mismatch: Codable, Sendable { var branch: String, reason: String }
    struct Branches: Codable, Sendable {
        var compared: [String]
        var tokens: Int
        var mismatches: [Mismatch]
    }
    struct Settings: Codable, Sendable {
        var views: [String]
        @Nullable var massive_ratio: Double?
        @Nullable var keep_massive: Bool?
        var neighbours: Int
        var neighbour_sample_limit: Int
        var map_sample_limit: Int
    }
    struct Moved: Codable, Sendable {
        var branch: String
        var token_index: Int
        var position: Int
        var token: String
        var change: Double
    }
    struct ViewDiff: Codable, Sendable {
        @Nullable var cka: Double?
        /// CKA's calibration (docs/diff-format.md): debiased CKA, the permutation null's mean and
        /// 95th percentile, and mutual k-NN agreement.
        @Nullable var cka_debiased: Double?
        @Nullable var cka_null_mean: Double?
        @Nullable var cka_null_p95: Double?
        @Nullable var mutual_knn: Double?
        var tokens: Int
        @Nullable var neighbour_change_mean: Double?
        var neighbour_tokens: Int
        var moved: [Moved]
    }
    struct Layer: Codable, Sendable {
        var layer_a: Int
        var layer_b: Int
        var page: String
        var views: [String: ViewDiff]
    }
    struct Map: Codable, Sendable {
        var view: String
        var layers_a: [Int], layers_b: [Int]
        var tokens: Int, candidates: Int
        /// null where CKA is undefined (JSON has no NaN).
        var cka: [[Double?]]
    }
    struct Measure: Codable, Sendable {
        var layer_a: Int, layer_b: Int
        var view: String, measure: String
        @Nullable var a: Double?
        @Nullable var b: Double?
        @Nullable var delta: Double?
    }

    var format = DiffReport.format
    var generator = "forkscope \(Forkscope.version)"
    var a: Side, b: Side
    /// null when two reports were compared.
    @Nullable var branches: Branches?
    /// "index" or "depth" (`LayerPairing`).
    var layer_pairing: String
    var settings: Settings
    /// The debiased view of the second map (`Verdict.recommended` on A).
    @Nullable var content_view: String?
    var layers: [Layer]
    var maps: [Map]
    var measures: [Measure]

    // A series of three or more versions (`forkscope diff V1 … Vn`) adds these three keys; the
    // keys above are then those of its first pair. Absent (not null) in a diff of two.
    struct Version: Codable, Sendable {
        var label: String
        var title: String
        var model: Report.Model
        var layers: [Int]
        @Nullable var recommended_view: String?
        var attribution: [Rung]
    }
    /// A rung of a version's attribution ladder, its measures averaged over the middle layers.
    struct Rung: Codable, Sendable {
        var step: String
        var view: String
        @Nullable var content: Double?
        @Nullable var position_probe: Double?
    }
    struct Similarity: Codable, Sendable {
        @Nullable var cka: Double?
        @Nullable var cka_debiased: Double?
        @Nullable var cka_null_mean: Double?
        @Nullable var cka_null_p95: Double?
        @Nullable var mutual_knn: Double?
        var tokens: Int
        var neighbour_tokens: Int
    }
    struct PairLayer: Codable, Sendable {
        var layer_a: Int, layer_b: Int
        var views: [String: Similarity]
    }
    struct Pair: Codable, Sendable {
        /// Indices into `versions`.
        var a: Int, b: Int
        /// The pair's own diff site (with its diff.json), relative to this one.
        var site: String
        var layers: [PairLayer]
    }
    /// "first" or "previous".
    var against: String?
    var versions: [Version]?
    var pairs: [Pair]?
}

extension DiffReport {
    /// The keys only a series adds.
    mutating func addSeries(_ series: SeriesDiff, folder: (Int) -> String) {
        against = series.against.rawValue
        versions = series.runs.indices.map { v in
            let run = series.runs[v], verdict = series.verdicts[v]
            return Version(label: series.labels[v], title: run.title,
                           model: Report.Model(name: run.model.name, version: run.model.version, positional_encoding: run.model.positionalEncoding),
                           layers: run.layers, recommended_view: verdict.content?.view.name,
                           attribution: verdict.attribution?.rungs.map { rung in
                               Rung(step: rung.step.rawValue, view: rung.view.name, content: verdict.mean(rung.view, verdict.contentMeasure).finite,
                                    position_probe: verdict.mean(rung.view, .positionProbe).finite)
                           } ?? [])
        }
        pairs = series.pairs.enumerated().map { i, pair in
            Pair(a: series.bases[i], b: i + 1, site: folder(i), layers: pair.layers.map { layer in
                var views = [String: Similarity]()
                for e in layer.entries {
                    views[e.view.name] = Similarity(cka: e.cka.finite, cka_debiased: e.ckaDebiased.finite, cka_null_mean: (e.null?.mean).finite,
                                                    cka_null_p95: (e.null?.p95).finite, mutual_knn: e.mutualKNN.finite,
                                                    tokens: e.tokens, neighbour_tokens: e.neighbourTokens)
                }
                return PairLayer(layer_a: layer.layerA, layer_b: layer.layerB, views: views)
            })
        }
    }
}

extension DiffReport {
    /// The whole diff of two runs, or the measures of two reports.
    init(_ source: DiffRenderer.Source, measures: MeasureDiff, pages: (Int) -> String) {
        func side(_ run: ActivationRun) -> Side {
            Side(source: "run", title: run.title,
                 model: Report.Model(name: run.model.name, version: run.model.version, positional_encoding: run.model.positionalEncoding),
                 layers: run.layers)
        }
        self.measures = measures.rows.map {
            Measure(layer_a: $0.layerA, layer_b: $0.layerB, view: $0.view, measure: $0.measure, a: $0.a.finite, b: $0.b.finite, delta: $0.delta.finite)
        }
        let diff: RunDiff
        switch source {
        case .reports(let reportA, let reportB):
            a = Side(source: "report", title: reportA.run.title, model: nil, layers: reportA.layers.map(\.layer))
            b = Side(source: "report", title: reportB.run.title, model: nil, layers: reportB.layers.map(\.layer))
            branches = nil
            layer_pairing = LayerPairing(a.layers, b.layers).byDepth ? "depth" : "index"
            settings = Settings(views: Array(Set(measures.rows.map(\.view))).sorted(), massive_ratio: nil, keep_massive: nil,
                                neighbours: ViewMeasures.neighbours, neighbour_sample_limit: LayerSimilarity.neighbourSampleLimit, map_sample_limit: LayerMap.sampleLimit)
            content_view = nil
            layers = []
            maps = []
            return
        case .runs(let runs):
            diff = runs
        }
        let run = diff.runA
        a = side(diff.runA); b = side(diff.runB)
        branches = Branches(compared: diff.pairing.branches, tokens: diff.pairing.tokens.count,
                            mismatches: diff.pairing.mismatches.map { Mismatch(branch: $0.branch, reason: $0.reason) })
        layer_pairing = diff.pairing.layers.byDepth ? "depth" : "index"
        settings = Settings(views: diff.options.views.map(\.name), massive_ratio: diff.options.massiveRatio,
                            keep_massive: diff.options.keepMassive, neighbours: ViewMeasures.neighbours,
                            neighbour_sample_limit: LayerSimilarity.neighbourSampleLimit, map_sample_limit: LayerMap.sampleLimit)
        content_view = diff.contentView?.view.name
        let offsets = run.branchOffsets, branchOf = run.tokenBranch
        layers = diff.layers.map { layer in
            var views = [String: ViewDiff]()
            for entry in layer.entries {
                let changes = entry.neighbourChange.compactMap { $0 }
                views[entry.view.name] = ViewDiff(
                    cka: entry.cka.finite, cka_debiased: entry.ckaDebiased.finite, cka_null_mean: (entry.null?.mean).finite,
                    cka_null_p95: (entry.null?.p95).finite, mutual_knn: entry.mutualKNN.finite, tokens: entry.tokens,
                    neighbour_change_mean: (changes.isEmpty ? nil : changes.reduce(0, +) / Double(changes.count)).finite,
                    neighbour_tokens: entry.neighbourTokens,
                    moved: entry.mostMoved(in: run).joined().map { t in
                        let br = branchOf[t], j = t - offsets[br]
                        return Moved(branch: run.branches[br].id, token_index: j, position: run.branches[br].positions[j],
                                     token: run.branches[br].tokens[j], change: entry.neighbourChange[t]!)
                    })
            }
            return Layer(layer_a: layer.layerA, layer_b: layer.layerB, page: pages(layer.layerA), views: views)
        }
        maps = diff.maps.map { m in
            Map(view: m.view.name, layers_a: m.layersA, layers_b: m.layersB, tokens: m.tokens, candidates: m.candidates,
                cka: (0..<m.cka.rows).map { r in (0..<m.cka.cols).map { Optional(m.cka[r, $0]).finite } })
        }
    }
}
