import Foundation
import ForkscopeNumerics

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
        sentences += attribution(verdict, middle: middle)
        if let choice = verdict.content {
            let what = "“\(choice.view.title)” (\(choice.view.name))"
            if choice.nearChance {
                var s = "Recommended view: \(what). At \(middle) its linear position probe is near chance (mean held-out R² \(figure(choice.probe)))"
                if let r2 = choice.positionKNN, let control = choice.control {
                    s += choice.nonlinearlyReadable
                        ? ", but a nonlinear reader still finds position in it (kNN R² \(figure(r2)), control \(figure(control))): no view here removes position nonlinearly"
                        : " and so is a nonlinear one (kNN R² \(figure(r2)), control \(figure(control)))"
                }
                s += ", and \(percent(choice.purity)) of each token's 10 nearest neighbours share its \(unit(verdict.contentMeasure).one)"
                if let rawPurity = choice.rawPurity { s += ", against \(percent(rawPurity)) in the raw states" }
                sentences.append(s + ".")
            } else {
                sentences.append("No view brings the position probe near chance at \(middle); \(what) comes closest (mean held-out R² \(figure(choice.probe))).")
            }
        }
        sentences += clustering(verdict, middle: middle)
        return sentences.joined(separator: " ")
    }

    /// What the clusters follow in the raw states and the recommended view, by mean AMI.
    static func clustering(_ verdict: Verdict, middle: String) -> [String] {
        guard !verdict.clustering.isEmpty else { return [] }
        let unit = unit(verdict.contentMeasure).many
        func name(_ target: Verdict.Clustering.Target) -> String {
            switch target { case .position: "position"; case .content: unit; case .token: "token identity" }
        }
        let parts = verdict.clustering.map { c in
            let place = c.view == .raw ? "in the raw states" : "in “\(c.view.title)” (\(c.view.name))"
            let figures = "mean AMI with position \(figure(c.position)), with \(unit) \(figure(c.content)), with tokens \(figure(c.token))"
            guard let target = c.follows else { return "\(place) they follow none of them (\(figures))" }
            return "\(place) they follow \(name(target)) (\(figures))"
        }
        return ["Clusters of the states at \(middle): " + parts.joined(separator: "; ") + "."]
    }

    /// The ladder in words, over the middle layers: how far z-scoring (the rogue dimensions) and then
    /// removing position move the content measure, and what is left of position.
    static func attribution(_ verdict: Verdict, middle: String) -> [String] {
        guard let ladder = verdict.attribution else { return [] }
        let content = verdict.contentMeasure, unit = unit(content)
        func mean(_ rung: Attribution.Rung?, _ id: Measure.ID) -> Double? { rung.flatMap { verdict.mean($0.view, id) } }
        let raw = ladder.rung(.raw), z = ladder.rung(.rogueDimensions), erased = ladder.rung(.position)
        var out = [String]()
        if let rogue = verdict.rogue {
            let dims = rogue.dimensions.prefix(4).map(String.init)
            let named = list(dims)
            out.append("Rogue dimensions: at \(rogue.layers.count) of the \(verdict.middleLayers.count) middle layers a few dimensions hold over half of the mean cosine similarity between tokens (up to \(percent(rogue.share))), most often \(dims.count == 1 ? "dimension" : "dimensions") \(named).")
        }
        guard let a = mean(raw, content) else { return out }
        var s = "Why the branches look alike, at \(middle): in the raw states \(percent(a)) of each token's 10 nearest neighbours share its \(unit.one)"
        var last = a
        if let z, let b = mean(z, content) {
            s += "; z-scoring every dimension, which neutralises rogue dimensions, \(b >= a ? "raises" : "lowers") that to \(percent(b))"
            last = b
        }
        if let erased, let c = mean(erased, content) {
            s += "; removing position linearly as well (\(erased.view.name)) \(c >= last ? "adds" : "takes away") \(points(abs(c - last))) (\(percent(c)))"
            // The order of the rungs favours the first: say what removing position alone does too.
            let alone = View(erased.view.base)
            let aloneGain = verdict.mean(alone, content).map { $0 - a }
            if let aloneGain { s += "; removing position alone (\(alone.name)) \(aloneGain >= 0 ? "gains" : "loses") \(points(abs(aloneGain)))" }
            if let zGain = z.flatMap({ mean($0, content) }).map({ $0 - a }) {
                // Gains under 2 points are noise on a few hundred tokens' neighbourhoods.
                let positionGain = max(c - last, aloneGain ?? -.infinity), noise = 0.02
                s += max(zGain, positionGain) < noise ? ". Neither undoes the sameness: it is not rogue dimensions or linear position"
                    : abs(zGain - positionGain) < noise ? ". So rogue dimensions and position explain about as much of the sameness"
                    : zGain > positionGain ? ". So more of the sameness is rogue dimensions than position"
                    : ". So more of the sameness is position than rogue dimensions"
            }
        }
        out.append(s + ".")
        if let erased, let probe = mean(erased, .positionProbe), let r2 = mean(erased, .positionKnnR2), let control = mean(erased, .positionKnnR2Control) {
            let change = mean(raw, .positionProbe).map { "goes from \(figure($0)) to" } ?? "is"
            let rawKNN = mean(raw, .positionKnnR2).map { " (\(figure($0)) raw)" } ?? ""
            out.append("In \(erased.view.name) the linear position probe \(change) \(figure(probe)); a nonlinear reader (each token's position from its 10 nearest neighbours under other \(unit.many)) reaches R² \(figure(r2))\(rawKNN) against \(figure(control)) for shuffled positions.")
        }
        return out
    }

    /// What a content measure groups tokens by, one and several.
    static func unit(_ content: Measure.ID) -> (one: String, many: String) {
        content == .rootKnnPurity ? ("root prompt", "root prompts") : ("branch", "branches")
    }

    /// "a", "a and b", "a, b and c".
    static func list(_ items: [String]) -> String {
        items.count <= 1 ? items.first ?? "" : items.dropLast().joined(separator: ", ") + " and " + items.last!
    }

    static func points(_ v: Double) -> String { String(format: "%.0f point%@", v * 100, (v * 100).rounded() == 1 ? "" : "s") }

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
