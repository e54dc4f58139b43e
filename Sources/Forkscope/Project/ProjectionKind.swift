/// A way of laying a view's states out in 2-D. Each view holds its layouts by kind
/// (`LayerAnalysis.ViewResult.layouts`); plots, captions, CSV columns, the alignment of views and
/// the trustworthiness measures iterate over the kinds. Adding one: a case here, its computation
/// in `Projector`, its plot labels in `LayerPageFactory` (docs/ARCHITECTURE.md).
public enum ProjectionKind: String, CaseIterable, Sendable, Codable {
    /// Exact PCA to two components (always computed: measures are defined on it).
    case pca
    /// UMAP (McInnes, Healy & Melville 2018), Forkscope's own implementation.
    case umap

    public var title: String {
        switch self {
        case .pca: "PCA"
        case .umap: "UMAP"
        }
    }

    /// Where its time is counted (`--timings`).
    var stage: StageTimings.Stage {
        switch self {
        case .pca: .pca
        case .umap: .umap
        }
    }

    /// Its trustworthiness measure's key, and how that measure's label begins.
    var trustworthinessMeasure: Measure.ID { Measure.ID(rawValue: self == .pca ? "trustworthiness" : "\(rawValue)_trustworthiness") }
    var measurePrefix: String { self == .pca ? "" : title + " " }

    /// Whether each view's layout is turned onto the reference view's (orthogonal Procrustes) so
    /// that views can be compared by eye: where the axes carry no meaning of their own.
    var alignedAcrossViews: Bool { self == .umap }

    /// The per-token CSV's columns of a view's layout: `<view>_pc1`, `<view>_umap1`, ...
    var columnStem: String { self == .pca ? "pc" : rawValue }

    /// The report.json keys of a view's measures that hold what the layout itself says: its
    /// explained variance (PCA) and how it started (UMAP). Written for every view, null when absent.
    var explainedVarianceKey: String? { self == .pca ? "pca_explained_variance" : nil }
    var initialisationKey: String? { self == .umap ? "umap_initialisation" : nil }

    /// Parses a comma-separated list ("pca,umap"); nil on an unknown name.
    public static func list(_ text: String) -> [ProjectionKind]? {
        var kinds = [ProjectionKind]()
        for part in text.split(separator: ",") {
            guard let kind = ProjectionKind(rawValue: part.trimmingCharacters(in: .whitespaces)) else { return nil }
            if !kinds.contains(kind) { kinds.append(kind) }
        }
        return kinds
    }
}
