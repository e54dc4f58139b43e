import ForkscopeNumerics

/// Everything the site shows about one layer: debias -> project -> measure for each view, plus
/// per-token figures of the raw states. Holds only 2-D and per-token numbers, never the states,
/// so a build keeps one layer's states in memory at a time.
public struct LayerAnalysis: Sendable, Codable {
    public struct ViewResult: Sendable, Codable {
        public let view: View
        /// The view's layouts by kind: always PCA; the others where asked for and computed (UMAP
        /// needs 4 fit tokens). Layouts of kinds `alignedAcrossViews` are turned onto the
        /// reference view's (`alignmentReference`).
        public let layouts: [ProjectionKind: Layout]
        public let measures: ViewMeasures
        /// The clusters of the view's fit states; nil when clustering is off or the view kept nothing.
        public let clusters: ViewClusters?

        /// The layouts in kind order.
        public var orderedLayouts: [(kind: ProjectionKind, layout: Layout)] {
            ProjectionKind.allCases.compactMap { kind in layouts[kind].map { (kind, $0) } }
        }
    }

    /// The model's layer index.
    public let layer: Int
    public private(set) var views: [ViewResult]
    /// ‖x‖ of every token's raw state.
    public let norms: [Double]
    public let medianNorm: Double
    /// Tokens far above the median norm (in the raw states or the zero_pe variant's).
    public let massive: [MassiveToken]
    /// The share of the raw states' total variance (all tokens) that the massive tokens hold.
    public let massiveVarianceShare: Double
    /// Whether massive tokens were kept out of fits and measures.
    public let massiveExcluded: Bool
    /// ‖x − mean of its position‖ (mean over fit tokens) for every token at a supported position.
    public let distanceToPositionMean: [Double?]
    /// The mean cosine similarity between distinct fit tokens' raw states, and the few dimensions
    /// that hold at least half of it, if few do.
    public let meanCosine: Double?
    public let rogueDimensions: [RogueDimension]

    public struct Options: Sendable {
        public var views: [View] = View.defaults
        public var debias = DebiasSettings()
        public var massiveRatio = 10.0
        public var keepMassive = false
        /// The layouts to compute (PCA always: its measures are defined on it).
        public var projections: [ProjectionKind] = ProjectionKind.allCases
        public var umapOptions = UMAP.Options()
        /// Layers to run UMAP on; nil for all.
        public var umapLayers: Set<Int>? = nil
        /// Views to run UMAP on.
        public var umapViews = UMAPViews.auto
        public var clusters = ClusterMethod.default
        /// Threads the build may use (layers in parallel, and within each UMAP); the report does
        /// not depend on it.
        public var threads = 2
        public init() {}

        var projector: Projector { Projector(kinds: projections, umapOptions: umapOptions, umapLayers: umapLayers) }
    }

    /// The PCA of the raw or position_mean view from the layer's shared moments, if it has them.
    static func sharedPCA(_ view: View, _ input: LayerInput) -> PCA? {
        guard let moments = input.fitMoments else { return nil }
        switch view {
        case .raw:
            return PCA(scatter: moments.scatter, mean: moments.mean, rows: moments.count, sumOfSquares: moments.sumOfSquares)
        case .positionMean:
            return PositionMeans.residualPCA(input.states, fitMoments: moments, fitRows: input.fitTokens,
                                             positions: input.positions, branches: input.branches)
        default:
            return nil
        }
    }

    /// The view every other view's UMAP layout is turned onto: raw, or the first view without it.
    static func alignmentReference(_ views: [View]) -> View? {
        views.contains(.raw) ? .raw : views.first
    }

    /// - Parameters:
    ///   - threads: threads this layer may use (UMAP); the build runs layers in parallel instead
    ///     when it has more layers than threads.
    ///   - timings: where each stage's time is added, if anywhere.
    ///   - inspect: shown each view's states and the layer's fit mask as soon as the view is
    ///     fitted (from the thread that fits it), for a caller that needs more than this analysis
    ///     keeps, such as `forkscope diff`'s CKA, without fitting the view a second time.
    public init(layer: Int, states: Matrix, zeroPE: Matrix?, run: ActivationRun, options: Options,
                threads: Int = 1, timings: StageTimings? = nil, inspect: (@Sendable (View, ViewStates, [Bool]) -> Void)? = nil) {
        func timed<T>(_ stage: StageTimings.Stage, _ body: () -> T) -> T {
            StageTimings.measure(timings, stage, body)
        }
        let positions = run.tokenPositions, roots = run.tokenRootGroups, tokens = RunTokens(run)
        self.layer = layer
        self.norms = states.rowNorms()
        self.medianNorm = MassiveActivations.median(norms)
        let showsZeroPE = zeroPE != nil && options.views.contains { $0.base == .zeroPE }
        let massive = MassiveActivations.detect(states, zeroPE: showsZeroPE ? zeroPE : nil, ratio: options.massiveRatio)
        self.massive = massive
        let mean = states.columnMeans()
        let total = states.sumOfSquaredDeviations(rows: Array(0..<states.rows))
        self.massiveVarianceShare = total > 0
            ? massive.reduce(0) { sum, m in sum + (0..<states.cols).reduce(0.0) { let e = states[m.token, $1] - mean[$1]; return $0 + e * e } } / total
            : 0
        self.massiveExcluded = !options.keepMassive
        var input = LayerInput(states: states, zeroPE: zeroPE, run: run, excluding: options.keepMassive ? [] : massive,
                               settings: options.debias)
        let fit = input.fit
        (meanCosine, rogueDimensions) = timed(.measures) { RogueDimension.of(states, rows: input.fitTokens) }
        // One pass over the fit rows serves the raw PCA, the raw probe and the position_mean PCA.
        let fitRows = input.fitTokens
        if fitRows.count > states.cols, options.views.contains(where: { $0.base == .raw || $0 == .positionMean }) {
            input.fitMoments = timed(.pca) { RowMoments.of(states, rows: fitRows, y: { Double(positions[$0]) }) }
        }
        // The probes of the views refitted per fold (regress, leace, abtt), from one pass of moments.
        let bases = View.Base.allCases.filter { base in options.views.contains { $0.base == base } }
        input.foldedProbes = timed(.measures) {
            ViewMeasures.foldedProbes(bases, input: input, settings: options.debias, folds: ViewMeasures.probeFolds(input, roots: roots),
                                      threads: threads)
        }
        let meanView = timed(.debias) { View.positionMean.apply(to: input, settings: options.debias) }
        var distances = [Double?](repeating: nil, count: states.rows)
        if let meanView {
            for (t, norm) in zip(meanView.tokens, meanView.states.rowNorms()) { distances[t] = norm }
        }
        self.distanceToPositionMean = distances

        // Base views that a +z view shares with its plain one (or another +z view), fitted once
        // here rather than in each: LEACE's SVD is the costliest fit of a layer.
        let sharedBases = Dictionary(grouping: options.views.filter { $0.base != .raw && $0.base != .positionMean }, by: \.base)
            .filter { $0.value.count >= 2 }.keys
        var fitted = [View.Base: ViewStates]()
        for base in View.Base.allCases where sharedBases.contains(base) {
            fitted[base] = timed(.debias) { View(base).apply(to: input, settings: options.debias) }
        }
        if let meanView { fitted[.positionMean] = meanView }
        let baseStates = fitted

        let projector = options.projector
        let laidOut = options.umapViews.laidOutFirst(options.views)
        // Views run side by side when this layer has threads to spare (fewer layers than threads,
        // or the last layer of a build): each view's work is mostly single-threaded.
        func analyse(_ view: View, threads: Int) -> ViewResult? {
            let base = baseStates[view.base]
            guard let viewStates = base != nil && !view.standardized ? base
                    : timed(.debias, { view.apply(to: input, settings: options.debias, base: base) }) else { return nil }
            inspect?(view, viewStates, fit)
            let viewFitRows = viewStates.tokens.indices.filter { fit[viewStates.tokens[$0]] }
            let kept = timed(.measures) { ViewMeasures.varianceKept(viewStates, input: input) }
            let erasedAll = kept.map { $0 < ViewMeasures.erasedAll } ?? false
            var layouts = [ProjectionKind: Layout]()
            for kind in ProjectionKind.allCases where projector.wants(kind, layer: layer) && (kind != .umap || laidOut.contains(view)) {
                layouts[kind] = timed(kind.stage) {
                    projector.layout(kind, of: viewStates, fitRows: erasedAll ? [] : viewFitRows, tokenCount: states.rows,
                                     sharedPCA: Self.sharedPCA(view, input), threads: threads)
                }
            }
            let clusters = erasedAll ? nil : timed(.clusters) {
                ViewClusters(states: viewStates.states.selectingRows(viewFitRows), tokens: viewFitRows.map { viewStates.tokens[$0] },
                             method: options.clusters, run: tokens)
            }
            let measures = timed(.measures) { ViewMeasures.measure(view, viewStates, varianceKept: kept, layouts: layouts, clusters: clusters,
                                                                   input: input, settings: options.debias, roots: roots) }
            return ViewResult(view: view, layouts: layouts, measures: measures, clusters: clusters)
        }
        let viewThreads = max(1, threads / max(1, options.views.count))
        let views = ParallelChunks.map(chunks: options.views.count, threads: threads) { analyse(options.views[$0], threads: viewThreads) }
            .compactMap { $0 }
        // Side by side, layouts whose axes mean nothing (UMAP's) are compared by eye: turn each onto
        // the raw view's (or the first view's) by orthogonal Procrustes. Rotation and reflection
        // only, so no measure changes. The reference itself stays as laid out.
        let referenceView = Self.alignmentReference(views.map(\.view))
        let reference = views.first { $0.view == referenceView }?.layouts
        self.views = views.map { v in
            var layouts = v.layouts
            for (kind, layout) in layouts where kind.alignedAcrossViews && v.view != referenceView {
                if let target = reference?[kind] { layouts[kind] = layout.aligned(to: target) }
            }
            return ViewResult(view: v.view, layouts: layouts, measures: v.measures, clusters: v.clusters)
        }
    }
}

extension LayerAnalysis {
    /// This layer with `view`'s UMAP layout added (turned onto the alignment reference's, as the
    /// layers' own are) and its `umap_trustworthiness`, from the layer's states read again: what
    /// the analysis would have computed had it laid the view out (`UMAPViews.auto`, whose
    /// recommended view is known only once every layer is analysed). Unchanged where UMAP does
    /// not run at this layer, the view is not here, already has a layout or erased everything.
    func addingUMAP(of view: View, states: Matrix, zeroPE: Matrix?, run: ActivationRun, options: Options, threads: Int,
                    timings: StageTimings?) -> LayerAnalysis {
        let projector = options.projector
        guard projector.wants(.umap, layer: layer), let index = views.firstIndex(where: { $0.view == view }),
              views[index].layouts[.umap] == nil, !(views[index].measures[.varianceKept].map { $0 < ViewMeasures.erasedAll } ?? false)
        else { return self }
        let input = LayerInput(states: states, zeroPE: zeroPE, run: run, excluding: massiveExcluded ? massive : [], settings: options.debias)
        guard let viewStates = StageTimings.measure(timings, .debias, { view.apply(to: input, settings: options.debias) }) else { return self }
        let fitRows = viewStates.tokens.indices.filter { input.fit[viewStates.tokens[$0]] }
        guard let layout = StageTimings.measure(timings, .umap, {
            projector.layout(.umap, of: viewStates, fitRows: fitRows, tokenCount: states.rows, sharedPCA: nil, threads: threads)
        }) else { return self }
        var result = views[index]
        var measures = result.measures
        // As `MeasureInput` scores it: over the fit tokens, before the layout is turned.
        let tokens = fitRows.map { viewStates.tokens[$0] }
        if tokens.count >= 2, tokens.allSatisfy({ layout.points[$0] != nil }) {
            measures.values[ProjectionKind.umap.trustworthinessMeasure] = StageTimings.measure(timings, .measures) {
                NeighbourhoodMeasures(input: viewStates.states.selectingRows(fitRows), layouts: [layout.matrix(of: tokens)],
                                      k: ViewMeasures.neighbours, queries: NeighbourhoodMeasures.queries(count: tokens.count)).trustworthiness[0]
            }
        }
        var layouts = result.layouts
        let reference = Self.alignmentReference(views.map(\.view)).flatMap { r in views.first { $0.view == r }?.layouts[.umap] }
        layouts[.umap] = reference.map { layout.aligned(to: $0) } ?? layout
        result = ViewResult(view: view, layouts: layouts, measures: measures, clusters: result.clusters)
        var out = self
        out.views[index] = result
        return out
    }
}
