/// A branch's page at one layer (`branch.mustache`): its place in the tree, its text with the
/// inherited prefix, and a row per token with its norm and coordinates in every view's PCA.
struct BranchPage: Sendable {
    struct Link: Sendable { var label: String, href: String }
    struct TextToken: Sendable { var text: String, inherited: Bool, position: Int }
    struct Coordinates: Sendable { var x: String, y: String }
    struct Row: Sendable {
        var index: Int
        var position: Int
        var token: String
        var logprob: String
        var norm: String
        var coords: [Coordinates]
        var distance: String
    }

    var label: String
    var id: String
    var color: String
    var layer: Int
    var layerLinks: [LayerLink]
    var parent: Bool
    var parentHref: String?
    var parentLabel: String?
    var forkAt: Int?
    var hasChildren: Bool
    var children: [Link]
    /// Tokens inherited from ancestors; nil for a root.
    var inheritedCount: Int?
    var ownCount: Int
    var text: [TextToken]
    var viewHeaders: [ViewHeader]
    var rows: [Row]
    var commentary: String?

    static func make(_ site: SiteRenderer, _ b: Int, _ a: LayerAnalysis) -> Page<BranchPage> {
        let run = site.run, shown = site.shown, paths = site.paths
        let branch = run.branches[b]
        let path = paths.branchPage(b, layer: a.layer)
        let root = SitePaths.root(from: path)
        let fork = branch.parent.flatMap { p in branch.forkAt.map { (parent: p, at: $0) } }
        let prefix = run.inheritedPrefix(of: b)
        let inherited = prefix.reduce(0) { $0 + $1.count }
        var text = [TextToken]()
        for (p, count) in prefix {
            for j in 0..<count {
                text.append(TextToken(text: TokenText.inline(run.branches[p].tokens[j]), inherited: true, position: run.branches[p].positions[j]))
            }
        }
        for (j, token) in branch.tokens.enumerated() {
            text.append(TextToken(text: TokenText.inline(token), inherited: false, position: branch.positions[j]))
        }
        let offset = run.branchOffsets[b]
        let pca = a.views.map { $0.layouts[.pca] }
        let page = BranchPage(
            label: shown.labels[b], id: shown.ids[b], color: BranchStyle.forBranch(b).color, layer: a.layer,
            layerLinks: site.layerLinks(current: a.layer) { root + paths.branchPage(b, layer: $0) },
            parent: fork != nil,
            parentHref: fork.map { root + paths.branchPage($0.parent, layer: a.layer) },
            parentLabel: fork.map { shown.labels[$0.parent] },
            forkAt: fork?.at,
            hasChildren: !run.children[b].isEmpty,
            children: run.children[b].map { Link(label: shown.labels[$0], href: root + paths.branchPage($0, layer: a.layer)) },
            inheritedCount: inherited > 0 ? inherited : nil,
            ownCount: branch.tokens.count,
            text: text,
            viewHeaders: site.viewHeaders,
            rows: branch.tokens.indices.map { j in
                let t = offset + j
                return Row(index: j, position: branch.positions[j], token: TokenText.visible(branch.tokens[j]),
                           logprob: branch.logprobs?[j].map { NumberFormat.fixed($0, decimals: 3) } ?? "",
                           norm: NumberFormat.figure(a.norms[t]),
                           coords: pca.map { layout in
                               let p = layout?.points[t]
                               return Coordinates(x: NumberFormat.figure(p?.x), y: NumberFormat.figure(p?.y))
                           },
                           distance: NumberFormat.figure(a.distanceToPositionMean[t]))
            },
            commentary: site.commentary.branches[branch.id].map(Markdown.html))
        return Page(frame: site.frame(path, title: "\(shown.labels[b]) · layer \(a.layer) · \(shown.title)"), body: page)
    }
}

extension BranchPage.Row: TemplateFields {
    static let fields: [String: PartialKeyPath<Self> & Sendable] = ["index": \.index, "position": \.position, "token": \.token, "logprob": \.logprob, "norm": \.norm, "coords": \.coords, "distance": \.distance]
}

extension BranchPage.Coordinates: TemplateFields {
    static let fields: [String: PartialKeyPath<Self> & Sendable] = ["x": \.x, "y": \.y]
}

extension BranchPage.TextToken: TemplateFields {
    static let fields: [String: PartialKeyPath<Self> & Sendable] = ["text": \.text, "inherited": \.inherited, "position": \.position]
}
