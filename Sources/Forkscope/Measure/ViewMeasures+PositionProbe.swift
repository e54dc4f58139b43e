import ForkscopeNumerics

extension ViewMeasures {
    /// `position_probe`: leave one fold (root group, else branch) out at a time, fit the *view* on
    /// the other folds' fit tokens, train the probe on them and predict the held-out fold's
    /// tokens; R² of all held-out predictions pooled. Fitting the view inside the fold matters:
    /// an eraser fitted on the held-out tokens too leaks their positions (their own position means
    /// are subtracted), which makes a probe anti-correlated rather than blind.
    ///
    /// Views that need no refit, and `position_mean`, whose probe weights are exactly zero, take
    /// the closed forms of `PositionProbe`; regress, leace (of the smooth basis) and abtt are
    /// refitted per fold from moments (`FoldedLinearProbe`), all three in one pass where the layer
    /// computed them (`foldedProbes`). Z-scoring a view first changes nothing: the probe z-scores
    /// its training rows itself, so a +z view's probe is its base view's. `general` forces the
    /// refit of every fold.
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
                if let value = input.foldedProbes?[view.base] { return value }
                if let value = foldedProbes([view.base], input: input, settings: settings, folds: folds)[view.base] { return value }
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

    /// The probes of the given views that are refitted linear views, at once from one pass of
    /// moments; other views, and those it cannot fold (leace of a one-hot concept, whose columns
    /// change with the fold), are left out.
    static func foldedProbes(_ bases: [View.Base], input: LayerInput, settings: DebiasSettings, folds: [Int],
                             threads: Int = 1) -> [View.Base: Double?] {
        let fits: [(View.Base, FoldedLinearProbe.Fit)] = bases.compactMap { base in
            switch base {
            case .regress: return (base, .ridgeResidual(penaltyPerRow: RidgeResidual.defaultPenaltyPerRow))
            case .leace: return settings.leaceConcept == .basis ? (base, .leace(relativeTolerance: LEACE.defaultRelativeTolerance)) : nil
            case .abtt:
                return (base, .allButTheTop(components: settings.abttComponents ?? AllButTheTop.defaultComponents(hiddenSize: input.states.cols)))
            case .raw, .positionMean, .zeroPE: return nil
            }
        }
        guard !fits.isEmpty else { return [:] }
        let values = FoldedLinearProbe.heldOutR2(input.states, features: input.basis.matrix(input.positions), positions: input.positions,
                                                 rows: input.fitTokens, folds: folds, fits: fits.map(\.1), threads: threads)
        return Dictionary(uniqueKeysWithValues: zip(fits.map(\.0), values))
    }

    /// The folds of the position probe: root groups when the layer's fit tokens span two, else branches.
    static func probeFolds(_ input: LayerInput, roots: [Int]) -> [Int] {
        Set(input.fitTokens.map { roots[$0] }).count >= 2 ? roots : input.branches
    }
}
