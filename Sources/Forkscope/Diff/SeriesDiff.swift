import Foundation
import ForkscopeNumerics

/// `forkscope diff V1 V2 … Vn`: n versions of a model over the same branches (a series of
/// checkpoints, or one model at several quantisations), each compared with the first
/// (`Baseline.first`) or with the one before it (`.previous`), as `RunDiff` compares two.
///
/// Every version is read and analysed once per layer, however many pairs it is in: the layers run
/// side by side on `threads` workers, and within one layer the versions are analysed in order,
/// each pair compared as its later version's views are fitted (`LayerSimilarity.chain`). Only the
/// layer × layer maps (`LayerMap`) read each pair's layers again.
public struct SeriesDiff: Sendable {
    public enum Baseline: String, CaseIterable, Sendable {
        case first, previous
    }

    public let runs: [ActivationRun]
    /// What the pages call each version (`--labels`, else `model.version`, else V1, V2, …).
    public let labels: [String]
    public let against: Baseline
    /// The version each later version is compared with: `bases[i]` for version i + 1.
    public let bases: [Int]
    /// `pairs[i]` compares version `bases[i]` (A) with version i + 1 (B).
    public let pairs: [RunDiff]
    /// Each version's analysis of each of the first version's layers (as `pairs` pair them).
    public let analyses: [[LayerAnalysis]]
    /// Each version's own verdict (recommended view, attribution) from those analyses.
    public let verdicts: [Verdict]
    public let options: LayerAnalysis.Options

    /// Where version `i`'s label comes from when none is given.
    public static func defaultLabels(_ runs: [ActivationRun]) -> [String] {
        runs.enumerated().map { i, run in run.model.version.flatMap { $0.isEmpty ? nil : $0 } ?? "V\(i + 1)" }
    }

    /// - Throws: `InputError` naming a version's run.json when n ≥ 3 versions did not capture the
    ///   same layers (two runs pair theirs by depth instead, as `RunDiff` always has).
    public init(_ readers: [RunReader], labels: [String]? = nil, against: Baseline = .first, views: [View] = View.defaults,
                settings: DebiasSettings = DebiasSettings(), massiveRatio: Double = 10, keepMassive: Bool = false,
                maps: Bool = true, threads: Int = 2) throws {
        precondition(readers.count >= 2, "a diff needs two versions")
        precondition(labels == nil || labels!.count == readers.count, "one label per version")
        let runs = readers.map(\.run)
        if readers.count > 2, let odd = readers.firstIndex(where: { $0.run.layers != runs[0].layers }) {
            throw InputError(file: readers[odd].directory.appendingPathComponent("run.json").path, field: "layers",
                             "captures layers \(runs[odd].layers.map(String.init).joined(separator: ",")), the first version \(runs[0].layers.map(String.init).joined(separator: ",")): a series of more than two versions needs the same layers in every run")
        }
        let bases = (1..<runs.count).map { against == .first ? 0 : $0 - 1 }
        let pairings = bases.enumerated().map { i, base in RunPairing(runs[base], runs[i + 1]) }
        // Each job is one of the first version's layers; version v's slice there (by depth for two runs).
        let slices = runs.map { run in LayerPairing(runs[0].layers, run.layers).pairs.map(\.b) }
        // As a build does: the default views include zero_pe only where every run has the variant.
        let allZeroPE = runs.allSatisfy(\.hasZeroPE)
        let views = views == View.defaults && !allZeroPE ? views.filter { $0.base != .zeroPE } : views
        let wantsZeroPE = views.contains { $0.base == .zeroPE }
        var options = LayerSimilarity.options(views: views, settings: settings, massiveRatio: massiveRatio, keepMassive: keepMassive)
        options.threads = threads
        BLASThreads.set(1)
        let chainPairs = bases.enumerated().map { i, base in LayerSimilarity.ChainPair(base: base, version: i + 1, tokens: pairings[i].tokens) }
        let outcomes = try ParallelChunks.map(chunks: slices[0].count, threads: max(1, threads)) { job in
            let sides = try readers.indices.map { v -> LayerSimilarity.Side in
                let slice = slices[v][job], reader = readers[v]
                let zero = wantsZeroPE ? try reader.zeroPEStates(slice: slice) : nil
                return .init(run: reader.run, layer: reader.run.layers[slice], states: try reader.states(slice: slice), zeroPE: zero)
            }
            return LayerSimilarity.chain(sides, pairs: chainPairs, options: options)
        }
        let analyses = runs.indices.map { v in outcomes.map { $0.analyses[v] } }
        self.pairs = try bases.enumerated().map { i, base in
            let version = i + 1
            var usableA = [Int: LayerMap.Usable](), usableB = [Int: LayerMap.Usable]()
            for (job, outcome) in outcomes.enumerated() {
                usableA[slices[base][job]] = outcome.usable[base]
                usableB[slices[version][job]] = outcome.usable[version]
            }
            return try RunDiff(readers[base], readers[version], pairing: pairings[i], options: options,
                               layers: outcomes.map { $0.similarities[i] }, analysesA: analyses[base], analysesB: analyses[version],
                               usableA: usableA, usableB: usableB, maps: maps, threads: threads)
        }
        self.runs = runs
        self.labels = labels ?? Self.defaultLabels(runs)
        self.against = against
        self.bases = bases
        self.analyses = analyses
        self.verdicts = runs.indices.map { Verdict(analyses: analyses[$0], run: runs[$0]) }
        self.options = options
    }
}
