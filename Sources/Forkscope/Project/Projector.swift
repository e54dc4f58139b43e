import ForkscopeNumerics

/// Computes a view's layouts, one per `ProjectionKind` a build asks for at a layer.
struct Projector: Sendable {
    /// The kinds drawn, in kind order: PCA always (measures are defined on it), and those asked for.
    let kinds: [ProjectionKind]
    let umapOptions: UMAP.Options
    /// Layers UMAP runs on; nil for all.
    let umapLayers: Set<Int>?

    init(kinds: [ProjectionKind], umapOptions: UMAP.Options, umapLayers: Set<Int>?) {
        self.kinds = ProjectionKind.allCases.filter { $0 == .pca || kinds.contains($0) }
        self.umapOptions = umapOptions
        self.umapLayers = umapLayers
    }

    func wants(_ kind: ProjectionKind, layer: Int) -> Bool {
        guard kinds.contains(kind) else { return false }
        switch kind {
        case .pca: return true
        case .umap: return umapLayers?.contains(layer) ?? true
        }
    }

    /// The layout of the view's states; `fitRows` are the rows it is fitted on (none where the
    /// view erased everything: the PCA then has no points, the others are left out).
    /// - Parameters:
    ///   - sharedPCA: the PCA fit, where the layer computed it from moments shared with other fits.
    ///   - threads: threads the layout may use (UMAP).
    func layout(_ kind: ProjectionKind, of view: ViewStates, fitRows: [Int], tokenCount: Int, sharedPCA: @autoclosure () -> PCA?, threads: Int) -> Layout? {
        switch kind {
        case .pca:
            return Layout.pca(view, fitRows: fitRows, tokenCount: tokenCount, fit: sharedPCA())
        case .umap:
            return fitRows.isEmpty ? nil : Layout.umap(view, fitRows: fitRows, tokenCount: tokenCount, options: umapOptions, threads: threads)
        }
    }
}
