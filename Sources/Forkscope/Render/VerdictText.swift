import Foundation

/// The verdict (`Verdict`) as the paragraph on the front page and in report.json.
enum VerdictText {
    static func paragraph(_ verdict: Verdict, run: ActivationRun) -> String {
        var sentences = [String]()
        let layerList = run.layers
        if let d = verdict.dominance {
            let b = run.tokenBranch[d.token], j = d.token - run.branchOffsets[b]
            let token = TokenText.visible(run.branches[b].tokens[j])
            sentences.append("One token dominates \(layers(d.layers, of: layerList)): “\(token)” at position \(run.branches[b].positions[j]) (branch \(run.branches[b].id)) has a norm up to \(NumberFormat.fixed(d.ratio, decimals: 0))× the layer's median and holds up to \(percent(d.share)) of the raw variance, an attention sink. \(d.excluded ? "It and any other massive token are kept out of every fit and measure below." : "Massive tokens were kept in every fit (--keep-massive).")")
        }

        if let raw = verdict.rawPosition {
            var s = "In the raw states position explains \(percent(raw.explained.lowerBound))–\(percent(raw.explained.upperBound)) of the variance"
            if let chance = raw.chance { s += " (chance \(percent(chance)))" }
            s += raw.decodable.isEmpty ? " and is not linearly decodable at any layer (probe R² < 0.5)."
                                       : "; a linear probe reads it off at \(layers(raw.decodable, of: layerList)) (held-out R² ≥ 0.5)."
            sentences.append(s)
        }

        let middle = layers(verdict.middleLayers, of: layerList)
        if let choice = verdict.content {
            if choice.nearChance {
                var s = "With position removed, the view “\(choice.view.title)” (\(choice.view.name)) separates content best at \(middle): its position probe is near chance (mean held-out R² \(figure(choice.probe))) and \(percent(choice.purity)) of each token's 10 nearest neighbours share its root prompt"
                if let rawPurity = choice.rawPurity { s += ", against \(percent(rawPurity)) in the raw states" }
                sentences.append(s + ".")
            } else {
                sentences.append("No view brings the position probe near chance at \(middle); “\(choice.view.title)” (\(choice.view.name)) comes closest (mean held-out R² \(figure(choice.probe))).")
            }
        }
        return sentences.joined(separator: " ")
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
