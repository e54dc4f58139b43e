import Foundation
import ForkscopeNumerics

/// `diff.json` at the root of every diff site (forkscope.diff/1): what `forkscope diff` compared
/// and found, for scripts. A public contract like report.json: keys are snake_case and stable;
/// later versions add keys, never rename them. Absent values are `null`. docs/diff-format.md
/// describes every key.
public struct DiffReport: Encodable, Sendable {
    public static let format = "forkscope.diff/1"

    struct Side: Encodable, Sendable {
        /// "run" or "report": what was given.
        var source: String
        var title: OrNull<String>
        var model: OrNull<Report.Model>
        var layers: [Int]
    }
    struct Mismatch: Encodable, Sendable { var branch: String, reason: String }
    struct Branches: Encodable, Sendable {
        var compared: [String]
        var tokens: Int
        var mismatches: [Mismatch]
    }
    struct Settings: Encodable, Sendable {
        var views: [String]
        var massive_ratio: OrNull<Double>
        var keep_massive: OrNull<Bool>
        var neighbours: Int
        var neighbour_sample_limit: Int
        var map_sample_limit: Int
    }
    struct Moved: Encodable, Sendable {
        var branch: String
        var token_index: Int
        var position: Int
        var token: String
        var change: Double
    }
    struct ViewDiff: Encodable, Sendable {
        var cka: OrNull<Double>
        var tokens: Int
        var neighbour_change_mean: OrNull<Double>
        var neighbour_tokens: Int
        var moved: [Moved]
    }
    struct Layer: Encodable, Sendable {
        var layer_a: Int
        var layer_b: Int
        var page: String
        var views: [String: ViewDiff]
    }
    struct Map: Encodable, Sendable {
        var view: String
        var layers_a: [Int], layers_b: [Int]
        var tokens: Int, candidates: Int
        var cka: [[OrNull<Double>]]
    }
    struct Measure: Encodable, Sendable {
        var layer_a: Int, layer_b: Int
        var view: String, measure: String
        var a: OrNull<Double>, b: OrNull<Double>, delta: OrNull<Double>
    }

    var format = DiffReport.format
    var generator = "forkscope \(Forkscope.version)"
    var a: Side, b: Side
    /// null when two reports were compared.
    var branches: OrNull<Branches>
    /// "index" or "depth" (`LayerPairing`).
    var layer_pairing: String
    var settings: Settings
    /// The debiased view of the second map (`Verdict.contentView` on A).
    var content_view: OrNull<String>
    var layers: [Layer]
    var maps: [Map]
    var measures: [Measure]
}

/// A value that encodes as JSON `null` when absent, where a synthesised encoder would drop the key.
struct OrNull<T: Encodable & Sendable>: Encodable, Sendable {
    let value: T?
    init(_ value: T?) { self.value = value }
    func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        if let value { try c.encode(value) } else { try c.encodeNil() }
    }
}

extension OrNull where T == Double {
    /// Non-finite numbers are null: JSON has none.
    init(finite value: Double?) { self.value = value.flatMap { $0.isFinite ? $0 : nil } }
}

extension DiffReport {
    /// The whole diff of two runs, or the measures of two reports (`a`, `b`: their report.json).
    init(_ diff: RunDiff?, measures: MeasureDiff, reports: (a: [String: Any], b: [String: Any])?, pages: (Int) -> String) {
        func side(_ run: ActivationRun) -> Side {
            Side(source: "run", title: OrNull(run.title),
                 model: OrNull(Report.Model(name: run.model.name, version: run.model.version, positional_encoding: run.model.positionalEncoding)),
                 layers: run.layers)
        }
        func side(_ report: [String: Any]) -> Side {
            let run = report["run"] as? [String: Any]
            return Side(source: "report", title: OrNull(run?["title"] as? String), model: OrNull(nil),
                        layers: (report["layers"] as? [[String: Any]] ?? []).compactMap { $0["layer"] as? Int })
        }
        self.measures = measures.rows.map {
            Measure(layer_a: $0.layerA, layer_b: $0.layerB, view: $0.view, measure: $0.measure,
                    a: OrNull(finite: $0.a), b: OrNull(finite: $0.b), delta: OrNull(finite: $0.delta))
        }
        guard let diff else {
            a = side(reports?.a ?? [:]); b = side(reports?.b ?? [:])
            branches = OrNull(nil)
            layer_pairing = LayerPairing(a.layers, b.layers).byDepth ? "depth" : "index"
            settings = Settings(views: Array(Set(measures.rows.map(\.view))).sorted(), massive_ratio: OrNull(nil), keep_massive: OrNull(nil),
                                neighbours: 10, neighbour_sample_limit: LayerSimilarity.neighbourSampleLimit, map_sample_limit: LayerMap.sampleLimit)
            content_view = OrNull(nil)
            layers = []
            maps = []
            return
        }
        let run = diff.runA
        a = side(diff.runA); b = side(diff.runB)
        branches = OrNull(Branches(compared: diff.pairing.branches, tokens: diff.pairing.tokens.count,
                                   mismatches: diff.pairing.mismatches.map { Mismatch(branch: $0.branch, reason: $0.reason) }))
        layer_pairing = diff.pairing.layers.byDepth ? "depth" : "index"
        settings = Settings(views: diff.options.views.map(\.name), massive_ratio: OrNull(diff.options.massiveRatio),
                            keep_massive: OrNull(diff.options.keepMassive), neighbours: 10,
                            neighbour_sample_limit: LayerSimilarity.neighbourSampleLimit, map_sample_limit: LayerMap.sampleLimit)
        content_view = OrNull(diff.contentView?.view.name)
        let offsets = run.branchOffsets, branchOf = run.tokenBranch
        layers = diff.layers.map { layer in
            var views = [String: ViewDiff]()
            for entry in layer.entries {
                let changes = entry.neighbourChange.compactMap { $0 }
                views[entry.view.name] = ViewDiff(
                    cka: OrNull(finite: entry.cka), tokens: entry.tokens,
                    neighbour_change_mean: OrNull(finite: changes.isEmpty ? nil : changes.reduce(0, +) / Double(changes.count)),
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
                cka: (0..<m.cka.rows).map { r in (0..<m.cka.cols).map { OrNull(finite: m.cka[r, $0]) } })
        }
    }
}
