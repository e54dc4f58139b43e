import ForkscopeNumerics

extension ViewMeasures {
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
