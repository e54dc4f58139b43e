/// All-but-the-top (Mu & Viswanath, 2018, "All-but-the-Top: Simple and effective postprocessing
/// for word representations"): remove the mean and the projections on the top D principal
/// directions, which in language-model states are dominated by a few common directions.
public struct AllButTheTop: Sendable {
    let mean: [Double]
    /// D x d, unit rows
    let directions: Matrix

    /// The paper's rule for the number of directions: d / 100, at least one.
    public static func defaultComponents(hiddenSize d: Int) -> Int { max(1, Int((Double(d) / 100).rounded())) }

    public init(states: Matrix, components: Int) {
        let fit = PCA(fitting: states, components: min(components, states.cols))
        mean = fit.mean
        directions = fit.components
    }

    public func apply(_ x: Matrix) -> Matrix {
        let centred = x.subtractingFromRows(mean)
        return centred - centred.multiplied(by: directions, transposeOther: true).multiplied(by: directions)
    }
}
