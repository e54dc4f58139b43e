import Foundation
import ForkscopeNumerics

/// What a layer page's explorer (`explore.js`, shipped in the theme) reads from the page itself:
/// every token's branch, text, position and norm, and each scatter plot's coordinates and frame,
/// in a `<script type="application/json">` block. A browser does not run such a block, so the
/// page's `script-src 'self'` holds, and it works from `file://`, where a script may not fetch.
///
/// The block is the explorer's only input: documented in docs/explorer.md (`forkscope.explore/1`).
/// Every string in it came from the run and is untrusted; `json()` escapes `<`, `>` and `&`, so no
/// token can end the block (`</script>`) or open a comment in it.
struct ExploreData: Encodable, Sendable {
    struct Branch: Encodable, Sendable {
        var id: String
        var label: String
        var colour: String
        /// The branch's page at this layer, relative to the layer page.
        var href: String
        /// Index in `roots` of the branch's root prompt (`FacetGrid.groups`).
        var root: Int
        /// The run token this branch forks after (its trajectory's start), if any.
        var fork: Int?
        /// The branch's first token in run order; its tokens are `start ..< start + count`.
        var start: Int
        var count: Int
    }

    struct Root: Encodable, Sendable {
        /// The root prompt's name as `#only=` takes it (`rootGroupNames`).
        var id: String
        var title: String
    }

    /// Where a plot draws: its frame in the SVG's viewBox units and the data window it shows
    /// (`PlotFrame`): a point (x, y) lies at (left + inset + (x − xMin)·scale, top + height − inset − (y − yMin)·scale).
    struct Frame: Encodable, Sendable {
        var left, top, width, height, inset, xMin, yMin, scale: Double
    }

    struct Plot: Encodable, Sendable {
        /// `<view>-<layout>`, e.g. `raw-pca`: the SVG's `data-plot` and `#zoom=`'s plot.
        var id: String
        var view: String
        var layout: String
        var title: String
        var xLabel: String
        var yLabel: String
        var frame: Frame
        /// Each run token's coordinates in the layout, nil where the view has none; rounded to a
        /// hundredth of a viewBox unit.
        var x: [Double?]
        var y: [Double?]
        /// Each run token's cluster in this view (−1 unclustered), nil where not clustered; absent
        /// when the view has no clusters.
        var cluster: [Int?]?
        /// Whether the static plot was thinned to the page's budget.
        var thinned: Bool
    }

    /// The explorer script's path in a site (the theme's `explore.js`).
    static let script = "explore.js"

    var format = "forkscope.explore/1"
    var layer: Int
    /// Every layer of the run and its page, relative to this one (←/→ and the layer links).
    var layers: [Int]
    var layerHrefs: [String]
    var branches: [Branch]
    var roots: [Root]
    /// Per run token, in run order: the token's text as the run gives it (untrusted), its position
    /// and the norm of its raw state at this layer (4 significant digits).
    var text: [String]
    var position: [Int]
    var norm: [Double]
    /// Massive tokens of this layer (run token indices).
    var massive: [Int]
    var plots: [Plot]

    init(site: SiteRenderer, analysis a: LayerAnalysis, root: String, plots: [Plot]) {
        let run = site.run
        let groups = FacetGrid.groups(run, shown: site.shown)
        let names = run.rootGroupNames
        let groupNames = groups.map { names[$0.branches[0]] }
        let offsets = run.branchOffsets
        layer = a.layer
        layers = run.layers
        layerHrefs = run.layers.map { root + site.paths.layerPage($0) }
        branches = run.branches.indices.map { b in
            Branch(id: run.branches[b].id, label: site.shown.labels[b], colour: BranchStyle.forBranch(b).color,
                   href: root + site.paths.branchPage(b, layer: a.layer),
                   root: groupNames.firstIndex(of: names[b]) ?? 0, fork: run.forkToken(of: b),
                   start: offsets[b], count: run.branches[b].tokens.count)
        }
        roots = zip(groupNames, groups).map { Root(id: $0, title: $1.title) }
        text = run.branches.flatMap(\.tokens)
        position = run.tokenPositions
        norm = a.norms.map { Self.rounded($0, significant: 4) }
        massive = a.massive.map(\.token).sorted()
        self.plots = plots
    }

    /// A plot's entry, from the plot as drawn (its `plotID`, labels and frame) and the layout it
    /// draws: the points in data units, rounded to a hundredth of a viewBox unit.
    static func plot(_ plot: ScatterPlot, _ drawing: ScatterPlot.Drawing, view: LayerAnalysis.ViewResult, kind: ProjectionKind,
                     layout: Layout) -> Plot {
        let f = drawing.frame
        let decimals = max(0, Int((log10(f.scale * 100)).rounded(.up)))
        let x = layout.points.map { $0.map { rounded($0.x, decimals: decimals) } }
        let y = layout.points.map { $0.map { rounded($0.y, decimals: decimals) } }
        let cluster = view.clusters.map { c -> [Int?] in
            var labels = [Int?](repeating: nil, count: layout.points.count)
            for (k, t) in c.tokens.enumerated() { labels[t] = c.labels[k] }
            return labels
        }
        return Plot(id: plot.plotID ?? "", view: view.view.name, layout: kind.rawValue, title: plot.label, xLabel: plot.xLabel,
                    yLabel: plot.yLabel,
                    frame: Frame(left: f.left, top: f.top, width: f.width, height: f.height, inset: PlotFrame.inset,
                                 xMin: f.xMin, yMin: f.yMin, scale: f.scale),
                    x: x, y: y, cluster: cluster, thinned: drawing.thinning != nil)
    }

    /// `value` to `decimals` places: an integer over a power of ten, whose shortest decimal form
    /// (what JSONEncoder writes) has no more digits than asked for.
    static func rounded(_ value: Double, decimals: Int) -> Double {
        guard value.isFinite else { return 0 }
        let p = pow(10, Double(min(decimals, 22)))
        return (value * p).rounded() / p
    }

    static func rounded(_ value: Double, significant: Int) -> Double {
        guard value.isFinite, value != 0 else { return 0 }
        return rounded(value, decimals: max(0, significant - 1 - Int(log10(abs(value)).rounded(.down))))
    }

    /// The block's text, safe inside `<script type="application/json">`: `<`, `>`, `&` and `'` as JSON
    /// escapes (so no `</script`, `<!--` or `<script` can appear), and U+2028/U+2029, DEL and what
    /// `TokenText` shows escaped (C1 controls, noncharacters, bidirectional formatting) too, so the
    /// page's source carries no raw control or reordering character either.
    func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let text = String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for s in text.unicodeScalars {
            switch s {
            case "<": out += "\\u003c"
            case ">": out += "\\u003e"
            case "&": out += "\\u0026"
            case "'": out += "\\u0027"
            case "\u{2028}", "\u{2029}", "\u{7F}", _ where TokenText.isInvisible(s):
                // UTF-16 code units, as JSON's \u escapes are (a surrogate pair above U+FFFF).
                for unit in String(s).utf16 { out += String(format: "\\u%04x", unit) }
            default: out.unicodeScalars.append(s)
            }
        }
        return out
    }
}
