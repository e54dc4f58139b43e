import ForkscopeNumerics

/// A way of looking at a layer's states: as captured, or with the positional component removed.
///
/// Names are part of `report.json` (`forkscope.report/1`): add views, never rename them.
/// Definitions: docs/views-and-measures.md.
public struct View: Hashable, Sendable, Codable, CustomStringConvertible {
    public enum Base: String, CaseIterable, Sendable, Codable {
        case raw
        case positionMean = "position_mean"
        case regress
        case leace
        case abtt
        case zeroPE = "zero_pe"
    }

    public let base: Base
    /// Followed by per-dimension z-scoring (`<name>+z`).
    public let standardized: Bool

    public init(_ base: Base, standardized: Bool = false) {
        self.base = base
        self.standardized = standardized
    }

    /// Parses `regress`, `leace+z`, …
    public init?(name: String) {
        let z = name.hasSuffix("+z")
        guard let base = Base(rawValue: z ? String(name.dropLast(2)) : name) else { return nil }
        self.init(base, standardized: z)
    }

    public static let raw = View(.raw)
    public static let positionMean = View(.positionMean)

    /// The views a build shows unless told otherwise (`zero_pe` only where the run has it): every
    /// base view, and the z-scored ones the attribution ladder climbs (`Attribution`): raw+z, and
    /// the linear erasers that usually show content best once z-scored.
    public static let defaults: [View] = [
        raw, View(.raw, standardized: true), positionMean, View(.positionMean, standardized: true), View(.regress),
        View(.leace), View(.leace, standardized: true), View(.abtt), View(.zeroPE),
    ]

    public var name: String { base.rawValue + (standardized ? "+z" : "") }
    public var description: String { name }

    public var title: String {
        let t: String
        switch base {
        case .raw: t = "Raw"
        case .positionMean: t = "Per-position mean removed"
        case .regress: t = "Position regressed out"
        case .leace: t = "LEACE"
        case .abtt: t = "All-but-the-top"
        case .zeroPE: t = "Zero-position run"
        }
        return standardized ? t + ", z-scored" : t
    }

    /// One sentence for pages and docs: what was done to the states.
    public var summary: String {
        var s: String
        switch base {
        case .raw: s = "Hidden states as captured."
        case .positionMean:
            s = "Each token's state minus the mean state of the tokens at the same position (least squares on one-hot position; equivalently oracle LEACE with position labels). Only positions seen in at least two branches have a meaningful mean: tokens elsewhere are left out of this view."
        case .regress:
            s = "Residuals of a ridge regression of the states on a smooth basis of position (polynomial, log and Fourier terms), so positions seen once are covered too."
        case .leace:
            s = "LEACE concept erasure (Belrose et al., 2023) of position: the least change to the states after which no linear function of them predicts the position features."
        case .abtt:
            s = "All-but-the-top (Mu & Viswanath, 2018): the mean and the top principal directions removed."
        case .zeroPE:
            s = "The same tokens run through the model with position information removed (the run's zero_pe variant)."
        }
        if standardized { s += " Then every dimension z-scored, so that a few rogue dimensions no longer dominate distances (Timkey & van Schijndel, 2021)." }
        return s
    }
}

extension View {
    /// Fits the view on the layer's fit tokens and applies it to every token it covers.
    /// Nil when the view does not apply (no `zero_pe` variant).
    /// - Parameter base: the unstandardised view's states, where the caller has them: a +z view
    ///   then only z-scores them (the same fit, not made twice).
    public func apply(to input: LayerInput, settings: DebiasSettings, base: ViewStates? = nil) -> ViewStates? {
        guard let (tokens, states) = base.map({ ($0.tokens, $0.states) }) ?? baseStates(input, settings) else { return nil }
        guard standardized else { return ViewStates(tokens: tokens, states: states, unstandardized: states) }
        let fitRows = tokens.indices.filter { input.fit[tokens[$0]] }
        let scaler = Standardizer(fitting: states.selectingRows(fitRows))
        return ViewStates(tokens: tokens, states: scaler.apply(states), unstandardized: states)
    }

    private func baseStates(_ input: LayerInput, _ settings: DebiasSettings) -> ([Int], Matrix)? {
        let x = input.states
        let all = Array(0..<x.rows)
        let fit = input.fitTokens
        switch base {
        case .raw:
            return (all, x)
        case .zeroPE:
            return input.zeroPE.map { (all, $0) }
        case .positionMean:
            return PositionMeans.debias(x, positions: input.positions, branches: input.branches, fit: input.fit)
        case .regress:
            let features = input.basis.matrix(input.positions)
            let ridge = RidgeResidual(states: x.selectingRows(fit), features: features.selectingRows(fit))
            return (all, ridge.residuals(states: x, features: features))
        case .leace:
            let concept = Self.leaceConcept(input, fit: fit, settings.leaceConcept)
            return (all, LEACE(states: x.selectingRows(fit), concept: concept).erase(x))
        case .abtt:
            let d = settings.abttComponents ?? AllButTheTop.defaultComponents(hiddenSize: x.cols)
            return (all, AllButTheTop(states: x.selectingRows(fit), components: d).apply(x))
        }
    }

    /// The concept LEACE erases, for the fit tokens: the smooth basis of position, a one-hot of
    /// their positions, or both side by side.
    static func leaceConcept(_ input: LayerInput, fit: [Int], _ kind: DebiasSettings.LeaceConcept) -> Matrix {
        let positions = fit.map { input.positions[$0] }
        let basis = input.basis.matrix(positions)
        guard kind != .basis else { return basis }
        let distinct = Array(Set(positions)).sorted()
        let column = Dictionary(uniqueKeysWithValues: distinct.enumerated().map { ($1, $0) })
        var onehot = Matrix(rows: positions.count, cols: distinct.count)
        for (r, p) in positions.enumerated() { onehot[r, column[p]!] = 1 }
        guard kind == .both else { return onehot }
        var both = Matrix(rows: positions.count, cols: basis.cols + onehot.cols)
        for r in 0..<positions.count {
            for c in 0..<basis.cols { both[r, c] = basis[r, c] }
            for c in 0..<onehot.cols { both[r, basis.cols + c] = onehot[r, c] }
        }
        return both
    }
}
