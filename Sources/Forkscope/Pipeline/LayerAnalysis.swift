import ForkscopeNumerics

/// Everything the site shows about one layer: debias -> project -> measure for each view, plus
/// per-token figures of the raw states. Holds only 2-D and per-token numbers, never the states,
/// so a build keeps one layer's states in memory at a time.
public struct LayerAnalysis: Sendable {
    public struct ViewResult: Sendable {
        public let view: View
        /// PCA of the view's states.
        public let projection: Projection
        /// UMAP of the view's fit tokens, aligned to the reference view's UMAP; nil where not asked
        /// for or too few tokens.
        public let umap: Projection?
        /// How UMAP started: spectral, or random where the eigensolver failed.
        public let umapInitialisation: SpectralLayout.Outcome?
        public let measures: ViewMeasures
    }

    /// The model's layer index.
    public let layer: Int
    public let views: [ViewResult]
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

    public struct Options: Sendable {
        public var views: [View] = View.defaults
        public var debias = DebiasSettings()
        public var massiveRatio = 10.0
        public var keepMassive = false
        /// Whether to compute UMAP layouts (PCA is always computed: its measures are defined on it).
        public var umap = true
        public var umapOptions = UMAP.Options()
        /// Layers to run UMAP on; nil for all.
        public var umapLayers: Set<Int>? = nil
        /// Threads the build may use (layers in parallel, and within each UMAP); the report does
        /// not depend on it.
        public var threads = 2
        public init() {}

        func wantsUMAP(layer: Int) -> Bool { umap && (umapLayers?.contains(layer) ?? true) }
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
        let positions = run.tokenPositions, roots = run.tokenRootGroups
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
        // One pass over the fit rows serves the raw PCA, the raw probe and the position_mean PCA.
        let fitRows = input.fitTokens
        if fitRows.count > states.cols, options.views.contains(where: { $0.base == .raw || $0 == .positionMean }) {
            input.fitMoments = timed(.pca) { RowMoments.of(states, rows: fitRows, y: { Double(positions[$0]) }) }
        }
        let meanView = timed(.debias) { View.positionMean.apply(to: input, settings: options.debias) }
        var distances = [Double?](repeating: nil, count: states.rows)
        if let meanView {
            for (t, norm) in zip(meanView.tokens, meanView.states.rowNorms()) { distances[t] = norm }
        }
        self.distanceToPositionMean = distances

        // Views run side by side when this layer has threads to spare (fewer layers than threads,
        // or the last layer of a build): each view's work is mostly single-threaded.
        func analyse(_ view: View, threads: Int) -> ViewResult? {
            guard let viewStates = view.base == .positionMean && !view.standardized ? meanView
                    : timed(.debias, { view.apply(to: input, settings: options.debias) }) else { return nil }
            inspect?(view, viewStates, fit)
            let viewFitRows = viewStates.tokens.indices.filter { fit[viewStates.tokens[$0]] }
            let kept = timed(.measures) { ViewMeasures.varianceKept(viewStates, input: input) }
            let erasedAll = kept.map { $0 < ViewMeasures.erasedAll } ?? false
            let projection = timed(.pca) {
                Projection.pca(viewStates, fitRows: erasedAll ? [] : viewFitRows, tokenCount: states.rows, fit: Self.sharedPCA(view, input))
            }
            let umap = options.wantsUMAP(layer: layer) && !erasedAll
                ? timed(.umap) { Projection.umap(viewStates, fitRows: viewFitRows, tokenCount: states.rows, options: options.umapOptions,
                                                 threads: threads) }
                : nil
            let measures = timed(.measures) { ViewMeasures.measure(view, viewStates, varianceKept: kept, projection: projection,
                                                umap: umap?.0, input: input, settings: options.debias, roots: roots) }
            return ViewResult(view: view, projection: projection, umap: umap?.0,
                              umapInitialisation: umap?.1.initialisation, measures: measures)
        }
        var results = [ViewResult?](repeating: nil, count: options.views.count)
        let viewThreads = max(1, threads / max(1, options.views.count))
        results.withUnsafeMutableBufferPointer { out in
            ParallelChunks.run(chunks: options.views.count, threads: threads) { v in out[v] = analyse(options.views[v], threads: viewThreads) }
        }
        let views = results.compactMap { $0 }
        // Side by side, UMAP layouts are compared by eye: turn each onto the raw view's (or the
        // first view's) by orthogonal Procrustes. Rotation and reflection only, so no measure changes.
        let referenceView = Self.alignmentReference(views.map(\.view))
        let reference = views.first { $0.view == referenceView }?.umap
        self.views = views.map { v in
            guard let reference, let umap = v.umap else { return v }
            return ViewResult(view: v.view, projection: v.projection, umap: umap.aligned(to: reference),
                              umapInitialisation: v.umapInitialisation, measures: v.measures)
        }
    }
}
