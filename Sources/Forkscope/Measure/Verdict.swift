import Foundation

/// A paragraph for the front page, computed from the measures: whether one token dominates,
/// where position is strong, and which view best separates content with position removed.
public struct Verdict: Sendable {
    public let text: String

    /// A probe R² at most this is "near chance": position is not linearly decodable.
    public static let probeNearChance = 0.2

    public init(run: ActivationRun, analyses: [LayerAnalysis]) {
        var sentences = [String]()
        let offsets = run.branchOffsets, branchOf = run.tokenBranch

        // One token holding most of the variance.
        let dominated = analyses.filter { $0.massiveVarianceShare >= 0.5 }
        if let worst = dominated.max(by: { $0.massiveVarianceShare < $1.massiveVarianceShare }),
           let top = worst.massive.max(by: { $0.normRatio < $1.normRatio }) {
            let b = branchOf[top.token], j = top.token - offsets[b]
            let token = TokenText.visible(run.branches[b].tokens[j])
            let ratio = analyses.flatMap { $0.massive.filter { $0.token == top.token }.map(\.normRatio) }.max() ?? top.normRatio
            sentences.append("One token dominates \(Self.layers(dominated.map(\.layer), of: run.layers)): “\(token)” at position \(run.branches[b].positions[j]) (branch \(run.branches[b].id)) has a norm up to \(NumberFormat.fixed(ratio, decimals: 0))× the layer's median and holds up to \(Self.percent(worst.massiveVarianceShare)) of the raw variance, an attention sink. \(analyses.first?.massiveExcluded == true ? "It and any other massive token are kept out of every fit and measure below." : "Massive tokens were kept in every fit (--keep-massive).")")
        }

        // Position in the raw states.
        let raw = analyses.compactMap { a in a.views.first { $0.view == .raw }.map { (a.layer, $0.measures) } }
        let decodable = raw.filter { ($0.1.positionProbe ?? -1) >= 0.5 }.map(\.0)
        let explained = raw.compactMap { $0.1.positionR2 }
        if let lo = explained.min(), let hi = explained.max() {
            var s = "In the raw states position explains \(Self.percent(lo))–\(Self.percent(hi)) of the variance"
            if let chance = raw.compactMap({ $0.1.positionR2Chance }).first { s += " (chance \(Self.percent(chance)))" }
            s += decodable.isEmpty ? " and is not linearly decodable at any layer (probe R² < 0.5)."
                                   : "; a linear probe reads it off at \(Self.layers(decodable, of: run.layers)) (held-out R² ≥ 0.5)."
            sentences.append(s)
        }

        // The view that best separates content with position out, over the middle layers.
        let layers = Self.layers(Self.middleThird(analyses).map(\.layer), of: run.layers)
        if let choice = Self.contentView(analyses) {
            if choice.nearChance {
                var s = "With position removed, the view “\(choice.view.title)” (\(choice.view.name)) separates content best at \(layers): its position probe is near chance (mean held-out R² \(Self.figure(choice.probe))) and \(Self.percent(choice.purity)) of each token's 10 nearest neighbours share its root prompt"
                if let rawPurity = choice.rawPurity { s += ", against \(Self.percent(rawPurity)) in the raw states" }
                sentences.append(s + ".")
            } else {
                sentences.append("No view brings the position probe near chance at \(layers); “\(choice.view.title)” (\(choice.view.name)) comes closest (mean held-out R² \(Self.figure(choice.probe))).")
            }
        }
        text = sentences.joined(separator: " ")
    }

    /// The debiased view that best shows content, over the middle third of the layers: of the views
    /// whose mean position probe is near chance, the one with the highest root kNN purity; if none
    /// is, the one with the lowest probe (`nearChance` false). Nil without a debiased view measured.
    public struct ContentView: Sendable {
        public let view: View
        /// Mean held-out probe R² and root kNN purity over the middle layers.
        public let probe: Double, purity: Double
        public let nearChance: Bool
        /// The raw view's mean root kNN purity over the same layers.
        public let rawPurity: Double?
    }

    public static func contentView(_ analyses: [LayerAnalysis]) -> ContentView? {
        let middle = middleThird(analyses)
        func mean(_ view: View, _ key: (ViewMeasures) -> Double?) -> Double? {
            let values = middle.compactMap { a in a.views.first { $0.view == view }.flatMap { key($0.measures) } }
            return values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
        }
        let candidates = (analyses.first?.views.map(\.view) ?? []).filter { $0 != .raw }.compactMap { v -> (View, Double, Double)? in
            guard let probe = mean(v, \.positionProbe), let purity = mean(v, \.rootKnnPurity) else { return nil }
            return (v, probe, purity)
        }
        let rawPurity = mean(.raw, \.rootKnnPurity)
        if let best = candidates.filter({ $0.1 <= probeNearChance }).max(by: { $0.2 < $1.2 }) {
            return ContentView(view: best.0, probe: best.1, purity: best.2, nearChance: true, rawPurity: rawPurity)
        }
        return candidates.min(by: { $0.1 < $1.1 }).map {
            ContentView(view: $0.0, probe: $0.1, purity: $0.2, nearChance: false, rawPurity: rawPurity)
        }
    }

    /// The middle third of the layers (at least one).
    static func middleThird(_ analyses: [LayerAnalysis]) -> [LayerAnalysis] {
        let n = analyses.count
        guard n >= 3 else { return analyses }
        return Array(analyses[(n / 3)..<(n - n / 3)])
    }

    /// "3, 5–9, 12": the selected layers, runs of neighbours in the run's own layer list joined.
    static func ranges(_ selected: [Int], of all: [Int]) -> String {
        let chosen = Set(selected)
        var parts = [String]()
        var run = [Int]()
        for l in all + [Int.min] {
            if chosen.contains(l) { run.append(l); continue }
            if let first = run.first, let last = run.last { parts.append(first == last ? "\(first)" : "\(first)–\(last)") }
            run = []
        }
        return parts.joined(separator: ", ")
    }

    /// "layer 18" or "layers 12–24, 30".
    static func layers(_ selected: [Int], of all: [Int]) -> String {
        (selected.count == 1 ? "layer " : "layers ") + ranges(selected, of: all)
    }

    static func percent(_ v: Double) -> String { String(format: "%.0f%%", v * 100) }
    static func figure(_ v: Double) -> String { NumberFormat.fixed(v, decimals: 2) }
}
