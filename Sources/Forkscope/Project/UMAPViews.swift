/// Which views get a UMAP layout (`--umap-views`). UMAP is a build's costliest stage, one layout
/// per view and layer, and a layer page is read through two of them: the raw view and the
/// verdict's recommended view, which every layer page opens with, coloured by position. So by
/// default (`auto`) those two are laid out and the other views are drawn by PCA only; `all` lays
/// out every view, a list the views named. Written as in report.json's settings.
public enum UMAPViews: Sendable, Equatable, Codable, CustomStringConvertible {
    /// The alignment reference (raw, else the first view) and the recommended view.
    case auto
    case all
    case listed([View])

    /// Parses "auto", "all" or a comma-separated list of views; nil otherwise.
    public init?(_ text: String) {
        switch text {
        case "auto": self = .auto
        case "all": self = .all
        default:
            let views = text.split(separator: ",", omittingEmptySubsequences: false).map { View(name: String($0)) }
            guard !views.isEmpty, views.allSatisfy({ $0 != nil }) else { return nil }
            self = .listed(views.compactMap { $0 })
        }
    }

    public var description: String {
        switch self {
        case .auto: return "auto"
        case .all: return "all"
        case .listed(let views): return views.map(\.name).joined(separator: ",")
        }
    }

    /// The views laid out while the layers are analysed: for `auto`, only the alignment
    /// reference; the recommended view is known once every layer is (`Build.layOutRecommended`).
    func laidOutFirst(_ views: [View]) -> Set<View> {
        switch self {
        case .all: return Set(views)
        case .listed(let listed): return Set(listed)
        case .auto: return Set(LayerAnalysis.alignmentReference(views).map { [$0] } ?? [])
        }
    }
}
