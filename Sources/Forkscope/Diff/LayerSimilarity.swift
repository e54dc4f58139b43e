import ForkscopeNumerics

/// How alike two model versions' states are at one pair of layers: linear CKA (`LinearCKA`)
/// between A and B for raw and each debiased view.
///
/// Each view is fitted on its own run, as a build fits it, and compared on the tokens both runs
/// hold (`RunPairing.tokens`), both views cover and neither run finds massive. CKA sums squared
/// inner products, so one attention-sink token a hundred times the median norm would decide it on
/// its own; massive tokens are left out exactly as a build leaves them out of its fits and
/// measures (`LayerAnalysis.Options.massiveRatio`, `keepMassive`).
public struct LayerSimilarity: Sendable {
    public struct Entry: Sendable {
        public let view: View
        /// Nil where the view does not apply to both runs or either side has no variance.
        public let cka: Double?
        /// Tokens compared.
        public let tokens: Int
    }

    /// Model layer indices of A and B.
    public let layerA: Int, layerB: Int
    public let entries: [Entry]

    public struct Side {
        public let run: ActivationRun
        public let layer: Int
        public let states: Matrix
        public let zeroPE: Matrix?

        public init(run: ActivationRun, layer: Int, states: Matrix, zeroPE: Matrix? = nil) {
            self.run = run; self.layer = layer; self.states = states; self.zeroPE = zeroPE
        }
    }

    public init(_ a: Side, _ b: Side, tokens: [(a: Int, b: Int)], views: [View], settings: DebiasSettings = DebiasSettings(),
                massiveRatio: Double = 10, keepMassive: Bool = false) {
        func input(_ side: Side) -> LayerInput {
            let massive = keepMassive ? [] : MassiveActivations.detect(side.states, zeroPE: side.zeroPE, ratio: massiveRatio)
            return LayerInput(states: side.states, zeroPE: side.zeroPE, run: side.run, excluding: massive, settings: settings)
        }
        let inputA = input(a), inputB = input(b)
        layerA = a.layer; layerB = b.layer
        entries = views.map { view in
            guard let va = view.apply(to: inputA, settings: settings), let vb = view.apply(to: inputB, settings: settings) else {
                return Entry(view: view, cka: nil, tokens: 0)
            }
            let rowA = Self.rows(va.tokens, count: a.states.rows), rowB = Self.rows(vb.tokens, count: b.states.rows)
            let matched = tokens.compactMap { pair -> (Int, Int)? in
                guard inputA.fit[pair.a], inputB.fit[pair.b], let ra = rowA[pair.a], let rb = rowB[pair.b] else { return nil }
                return (ra, rb)
            }
            let cka = LinearCKA.similarity(va.states.selectingRows(matched.map(\.0)), vb.states.selectingRows(matched.map(\.1)))
            return Entry(view: view, cka: cka, tokens: matched.count)
        }
    }

    /// The row of each run token in a view's states (nil where the view does not cover it).
    private static func rows(_ tokens: [Int], count: Int) -> [Int?] {
        var out = [Int?](repeating: nil, count: count)
        for (r, t) in tokens.enumerated() { out[t] = r }
        return out
    }
}
