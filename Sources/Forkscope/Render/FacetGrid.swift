import ForkscopeNumerics
import Foundation

/// Small multiples of one layout (Tufte, *Envisioning Information*, 1990): a plot per root prompt,
/// its branches in colour with their trajectories, every other token in light grey for context,
/// all on one shared `PlotFrame`, so that a place means the same in every plot. The picture that
/// answers "do different prompts follow the same path?".
///
/// The grey context is the same in every facet: the first facet defines it once and every facet
/// draws it by `<use>`. Dots are `DotPaths`, a path per branch; a facet's tokens carry no tooltip
/// each, its branch groups name their branch.
/// Above `budget` tokens the grid thins: the context becomes density cells, the coloured dots an
/// even sample, and trajectories are drawn for as many whole branches as `thinnedBudget` vertices allow.
struct FacetGrid: Sendable {
    struct Group: Sendable {
        var title: String
        /// Branches of the run in this group, in run order.
        var branches: [Int]
    }

    struct Facet: Sendable {
        var title: String
        var svg: String
    }

    /// At most this many facets; the rest of the groups are named in the caption.
    static let limit = 12
    /// Tokens drawn whole (every coloured dot, every trajectory, the context as dots); a thinned
    /// grid draws `thinnedBudget` of them as coloured dots and as trajectory vertices.
    static let budget = 1_500
    static let thinnedBudget = 750
    private static let margin = (left: 34.0, right: 6.0, top: 6.0, bottom: 18.0)
    private static let dot = 3.0, contextDot = 2.6

    var label: String
    /// Prefix of the ids the grid defines, unique on its page.
    var idPrefix: String
    var groups: [Group]
    /// The layout's point of each run token; nil where the view has none (or the token is left out).
    var points: [Point?]
    var run: ActivationRun
    var shown: ShownText
    var size = 220.0

    /// The root prompts of a run as groups: the measures' root groups (`rootGroupNames`: run.json's
    /// `group`, else the root branch), in the order their first branch appears.
    static func groups(_ run: ActivationRun, shown: ShownText) -> [Group] {
        let names = run.rootGroupNames
        var order = [String](), members = [String: [Int]]()
        for (b, name) in names.enumerated() {
            if members[name] == nil { order.append(name) }
            members[name, default: []].append(b)
        }
        return order.map { name in
            let root = members[name]!.first { run.branches[$0].parent == nil && run.branches[$0].id == name }
            return Group(title: root.map { SiteRenderer.branchName($0, shown) } ?? TokenText.visible(name), branches: members[name]!)
        }
    }

    /// Whether the grid is over its budget (and drawn thinned).
    var thinned: Bool { points.compactMap { $0 }.count > Self.budget }

    func facets() -> [Facet] {
        let m = Self.margin
        let drawn = points.indices.filter { points[$0] != nil }
        let frame = PlotFrame(points: drawn.map { points[$0]! }, left: m.left, top: m.top, width: size - m.left - m.right)
        let height = m.top + frame.height + m.bottom
        func at(_ p: Point) -> (Double, Double) { (frame.clampedX(p.x), frame.clampedY(p.y)) }
        let thin = thinned
        let kept = Set(EvenSample.indices(drawn.count, Self.thinnedBudget).map { drawn[$0] })
        let lines = trajectories()
        let offsets = run.branchOffsets
        let context = contextDefinition(drawn.map { at(points[$0]!) }, frame: frame, thinned: thin)
        return groups.prefix(Self.limit).enumerated().map { g, group in
            var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"facet\" viewBox=\"0 0 \(fmt(size)) \(fmt(height))\" role=\"img\" aria-label=\"\(Escape.html("\(label): \(group.title)"))\">\n"
            let own = group.branches.reduce(0) { $0 + run.branches[$1].tokens.count }
            out += "<title>\(Escape.html("\(label): \(group.title)"))</title><desc>\(Escape.html("The \(NumberFormat.count(own)) tokens of \(group.title)'s \(group.branches.count) branch\(group.branches.count == 1 ? "" : "es") in colour, the run's other tokens in grey; every facet of the grid has the same axes."))</desc>\n"
            out += frame.axes(xLabel: "", yLabel: "")
            if g == 0 { out += "<defs>\(context)</defs>" }
            out += "<use class=\"context\" href=\"#\(idPrefix)ctx\"/>\n"
            for b in group.branches {
                let style = BranchStyle.forBranch(b)
                let tokens = (offsets[b]..<offsets[b] + run.branches[b].tokens.count).filter { points[$0] != nil }
                guard !tokens.isEmpty else { continue }
                out += "<g class=\"series b\(b)\"><title>\(Escape.html(SiteRenderer.branchName(b, shown)))</title>"
                if lines[b] {
                    let path = ((run.forkToken(of: b).flatMap { points[$0] }).map { [$0] } ?? []) + tokens.map { points[$0]! }
                    let xy = path.map(at)
                    if xy.count >= 2 {
                        out += "<polyline class=\"traj\" stroke=\"\(style.color)\" points=\"\(xy.map { coord($0.0) + "," + coord($0.1) }.joined(separator: " "))\"/>"
                        let arrows = ScatterPlot.Arrowheads.path(xy, size: 4)
                        if !arrows.isEmpty { out += "<path class=\"arrows\" fill=\"\(style.color)\" d=\"\(arrows)\"/>" }
                    }
                }
                var dots = DotPaths(points: tokens.count)
                for t in tokens where !thin || kept.contains(t) {
                    let (x, y) = at(points[t]!)
                    dots.add(x, y, colour: "")
                }
                if !dots.d("").isEmpty {
                    out += "<path class=\"dots\" fill=\"none\" stroke-linecap=\"round\" stroke=\"\(style.color)\" stroke-width=\"\(fmt(Self.dot))\" d=\"\(dots.d(""))\"/>"
                }
                out += "</g>\n"
            }
            return Facet(title: group.title, svg: out + "</svg>")
        }
    }

    /// The grey context, once for the grid: every drawn token as a dot (`DotPaths`), or density
    /// cells when the grid is thinned. Its colour is the
    /// `<use class="context">`'s, so the theme's dark mode reaches it.
    private func contextDefinition(_ xy: [(Double, Double)], frame: PlotFrame, thinned: Bool) -> String {
        if thinned {
            let density = ScatterPlot.Density(points: xy, left: frame.left, top: frame.top, width: frame.width, height: frame.height)
            return density.svg(id: "\(idPrefix)ctx")
        }
        var dots = DotPaths(points: xy.count)
        for (x, y) in xy { dots.add(x, y, colour: "") }
        return "<path id=\"\(idPrefix)ctx\" fill=\"none\" stroke-linecap=\"round\" stroke-width=\"\(fmt(Self.contextDot))\" d=\"\(dots.d(""))\"/>"
    }

    /// Which branches' trajectories are drawn: all of them within `budget` vertices, else whole
    /// branches in an order spread over the run (`ScatterPlot.spreadOrder`) while they fit in
    /// `thinnedBudget`.
    private func trajectories() -> [Bool] {
        let counts = run.branches.map(\.tokens.count)
        guard counts.reduce(0, +) > Self.budget else { return counts.map { _ in true } }
        var drawn = counts.map { _ in false }, used = 0
        for b in ScatterPlot.spreadOrder(counts.count) where used + counts[b] <= Self.thinnedBudget {
            drawn[b] = true
            used += counts[b]
        }
        return drawn
    }
}
