import ForkscopeNumerics

/// The measures of one view at one layer, as `report.json` names them (docs/views-and-measures.md).
/// All are computed over the view's fit tokens: the tokens it covers that are not massive.
public struct ViewMeasures: Sendable, Equatable {
    public var tokens: Int
    public var fitTokens: Int
    public var varianceKept: Double?
    public var positionR2: Double?
    public var positionR2HeldOut: Double?
    public var positionR2Chance: Double?
    public var positionProbe: Double?
    public var rootKnnPurity: Double?
    public var rootKnnChance: Double?
    public var branchKnnPurity: Double?
    public var branchKnnChance: Double?
    public var pcaExplainedVariance: [Double]
    public var trustworthiness: Double?
    public var silhouetteRoot: Double?
    /// Trustworthiness of the view's UMAP layout (nil where UMAP was not computed).
    public var umapTrustworthiness: Double?
    /// How many fit tokens the neighbourhood measures (kNN purities, trustworthiness, silhouette)
    /// average over: all up to `NeighbourhoodMeasures.queryLimit`, else an even spread of that many.
    public var neighbourQueries: Int?

    /// How many neighbours the neighbourhood measures use.
    public static let neighbours = 10

    /// A view keeping less than this share of the raw variance kept nothing but rounding noise
    /// (e.g. LEACE of a concept with as many columns as the states have dimensions): its other
    /// measures and its layout are left out rather than computed on noise.
    public static let erasedAll = 1e-12

    init(tokens: Int, fitTokens: Int, varianceKept: Double?, positionR2: Double? = nil, positionR2HeldOut: Double? = nil,
         positionR2Chance: Double? = nil, positionProbe: Double? = nil, rootKnnPurity: Double? = nil,
         rootKnnChance: Double? = nil, branchKnnPurity: Double? = nil, branchKnnChance: Double? = nil,
         pcaExplainedVariance: [Double], trustworthiness: Double? = nil, silhouetteRoot: Double? = nil,
         umapTrustworthiness: Double? = nil, neighbourQueries: Int? = nil) {
        self.tokens = tokens
        self.fitTokens = fitTokens
        self.varianceKept = varianceKept
        self.positionR2 = positionR2
        self.positionR2HeldOut = positionR2HeldOut
        self.positionR2Chance = positionR2Chance
        self.positionProbe = positionProbe
        self.rootKnnPurity = rootKnnPurity
        self.rootKnnChance = rootKnnChance
        self.branchKnnPurity = branchKnnPurity
        self.branchKnnChance = branchKnnChance
        self.pcaExplainedVariance = pcaExplainedVariance
        self.trustworthiness = trustworthiness
        self.silhouetteRoot = silhouetteRoot
        self.umapTrustworthiness = umapTrustworthiness
        self.neighbourQueries = neighbourQueries
    }

    /// Σ var(view before z-scoring) / Σ var(raw) over the view's fit tokens.
    static func varianceKept(_ viewStates: ViewStates, input: LayerInput) -> Double? {
        let rows = viewStates.tokens.indices.filter { input.fit[viewStates.tokens[$0]] }
        let raw = input.states.sumOfSquaredDeviations(rows: rows.map { viewStates.tokens[$0] })
        return raw > 0 ? viewStates.unstandardized.sumOfSquaredDeviations(rows: rows) / raw : nil
    }

    /// - Parameters:
    ///   - viewStates: the view fitted on all of the layer's fit tokens.
    ///   - roots: the root group of each run token.
    ///   - varianceKept: `varianceKept(viewStates, input:)`, which the caller needs first.
    public static func measure(_ view: View, _ viewStates: ViewStates, varianceKept kept: Double?, projection: Projection,
                               umap: Projection? = nil, input: LayerInput, settings: DebiasSettings, roots: [Int]) -> ViewMeasures {
        let fit = input.fit, positions = input.positions, branches = input.branches
        let rows = viewStates.tokens.indices.filter { fit[viewStates.tokens[$0]] }
        let tokens = rows.map { viewStates.tokens[$0] }
        let y = viewStates.states.selectingRows(rows)
        if let kept, kept < erasedAll {
            return ViewMeasures(tokens: viewStates.tokens.count, fitTokens: tokens.count, varianceKept: kept,
                                pcaExplainedVariance: [])
        }
        let groups = PositionGroups(positions: tokens.map { positions[$0] }, branches: tokens.map { branches[$0] })
        let tokenBranches = tokens.map { branches[$0] }, tokenRoots = tokens.map { roots[$0] }
        let layerFit = fit.indices.filter { fit[$0] }
        let folds = Set(layerFit.map { roots[$0] }).count >= 2 ? roots : branches
        // One pass over the view's distances: cosine neighbours of the queries, and the
        // trustworthiness of the PCA layout and of the UMAP layout (where it covers every fit token).
        let queries = NeighbourhoodMeasures.queries(count: tokens.count)
        let pcaLayout = tokens.count >= 2 ? projection.layout(of: tokens) : nil
        let umapLayout = umap.flatMap { u in tokens.count >= 2 && tokens.allSatisfy { u.points[$0] != nil } ? u.layout(of: tokens) : nil }
        let pass = NeighbourhoodMeasures(input: y, layouts: [pcaLayout, umapLayout].compactMap { $0 }, k: Self.neighbours, queries: queries)
        let queryRoots = queries.map { tokenRoots[$0] }, queryBranches = queries.map { tokenBranches[$0] }
        return ViewMeasures(
            tokens: viewStates.tokens.count,
            fitTokens: tokens.count,
            varianceKept: kept,
            positionR2: PositionMeans.r2(y, groups: groups),
            positionR2HeldOut: PositionMeans.heldOutR2(y, groups: groups, branches: tokenBranches),
            positionR2Chance: PositionMeans.chanceR2(groups: groups),
            positionProbe: heldOutProbe(view, input: input, settings: settings, folds: folds),
            rootKnnPurity: Neighbours.purity(pass.cosineNeighbours, of: queryRoots, labels: tokenRoots),
            rootKnnChance: Neighbours.chancePurity(labels: tokenRoots),
            branchKnnPurity: Neighbours.purity(pass.cosineNeighbours, of: queryBranches, labels: tokenBranches),
            branchKnnChance: Neighbours.chancePurity(labels: tokenBranches),
            pcaExplainedVariance: projection.explainedVariance,
            trustworthiness: pcaLayout == nil ? nil : pass.trustworthiness[0],
            silhouetteRoot: pcaLayout.flatMap { LayoutQuality.silhouette($0, labels: tokenRoots, queries: queries) },
            umapTrustworthiness: umapLayout == nil ? nil : pass.trustworthiness[pcaLayout == nil ? 0 : 1],
            neighbourQueries: tokens.count < 2 ? nil : queries.count)
    }

    /// `position_probe`: leave one fold (root group, else branch) out at a time, fit the *view* on
    /// the other folds' fit tokens, train the probe on them and predict the held-out fold's
    /// tokens; R² of all held-out predictions pooled. Fitting the view inside the fold matters:
    /// an eraser fitted on the held-out tokens too leaks their positions (their own position means
    /// are subtracted), which makes a probe anti-correlated rather than blind.
    ///
    /// Views that need no refit, and `position_mean`, whose probe weights are exactly zero, take
    /// the closed forms of `PositionProbe` (z-scoring a view first changes nothing: the probe
    /// z-scores its training rows itself). `general` forces the refit of every fold.
    static func heldOutProbe(_ view: View, input: LayerInput, settings: DebiasSettings, folds: [Int], general: Bool = false) -> Double? {
        let rows = input.fitTokens
        if !general {
            switch view.base {
            case .raw:
                return PositionProbe.heldOutR2(input.states, positions: input.positions, rows: rows, folds: folds, moments: input.fitMoments)
            case .zeroPE:
                return input.zeroPE.flatMap { PositionProbe.heldOutR2($0, positions: input.positions, rows: rows, folds: folds) }
            case .positionMean:
                return PositionProbe.heldOutR2OfPositionMeans(positions: input.positions, branches: input.branches, rows: rows, folds: folds)
            case .regress, .leace, .abtt:
                break
            }
        }
        let labels = Set(input.fit.indices.filter { input.fit[$0] }.map { folds[$0] }).sorted()
        guard labels.count >= 2 else { return nil }
        var truth = [Int](), predicted = [Double]()
        for label in labels {
            let train = input.fit.indices.map { input.fit[$0] && folds[$0] != label }
            let foldInput = LayerInput(states: input.states, zeroPE: input.zeroPE, positions: input.positions,
                                       branches: input.branches, fit: train, basis: input.basis)
            guard let states = view.apply(to: foldInput, settings: settings) else { return nil }
            let trainRows = states.tokens.indices.filter { train[states.tokens[$0]] }
            let testRows = states.tokens.indices.filter { input.fit[states.tokens[$0]] && folds[states.tokens[$0]] == label }
            guard trainRows.count >= 2, !testRows.isEmpty else { continue }
            let probe = PositionProbe(states: states.states.selectingRows(trainRows),
                                      positions: trainRows.map { input.positions[states.tokens[$0]] })
            predicted += probe.predict(states.states.selectingRows(testRows))
            truth += testRows.map { input.positions[states.tokens[$0]] }
        }
        return PositionProbe.r2(positions: truth, predicted: predicted)
    }
}
