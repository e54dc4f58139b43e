import ForkscopeNumerics

/// What a view's fit needs to know about the layer.
public struct LayerInput: Sendable {
    public let states: Matrix
    public let zeroPE: Matrix?
    public let positions: [Int]
    public let branches: [Int]
    /// Tokens the fits may use (not massive).
    public let fit: [Bool]
    public let basis: PositionBasis
    /// `RowMoments.of(states, rows: fit tokens, y: position)`, where the layer computed them to
    /// share between fits (the raw and position_mean PCAs, the raw probe); nil otherwise.
    public var fitMoments: RowMoments? = nil
    /// `position_probe` of the refitted linear views (regress, leace, abtt), where the layer
    /// computed them together (`ViewMeasures.foldedProbes`); nil otherwise.
    public var foldedProbes: [View.Base: Double?]? = nil

    var fitTokens: [Int] { fit.indices.filter { fit[$0] } }
}

extension LayerInput {
    /// A layer of `run` whose fits leave out the tokens in `excluded` (its massive tokens, unless
    /// they are kept).
    init(states: Matrix, zeroPE: Matrix?, run: ActivationRun, excluding excluded: [MassiveToken], settings: DebiasSettings) {
        var fit = [Bool](repeating: true, count: states.rows)
        for m in excluded { fit[m.token] = false }
        let positions = run.tokenPositions
        self.init(states: states, zeroPE: zeroPE, positions: positions, branches: run.tokenBranch, fit: fit,
                  basis: PositionBasis(degree: settings.regressDegree, fourier: settings.regressFourier,
                                       largestPosition: positions.max() ?? 0))
    }
}
