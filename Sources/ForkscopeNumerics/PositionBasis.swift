import Foundation

/// A smooth basis of position for regressions and concept erasure: powers of u = p/P, a log term
/// and Fourier terms, φ(p) = [u, …, u^D, log(1+p)/log(1+P), sin(2πkp/P), cos(2πkp/P) for k ≤ F].
/// Smooth terms generalise to positions seen once, unlike one-hot position.
public struct PositionBasis: Sendable, Equatable {
    public var degree: Int
    public var fourier: Int
    /// P: one more than the largest position of the run.
    public var period: Double

    public init(degree: Int = 3, fourier: Int = 4, largestPosition: Int) {
        self.degree = degree
        self.fourier = fourier
        self.period = Double(largestPosition + 1)
    }

    public var count: Int { degree + 1 + 2 * fourier }

    public func features(_ p: Int) -> [Double] {
        let x = Double(p), u = x / period
        var out = [Double]()
        var power = 1.0
        for _ in 0..<degree { power *= u; out.append(power) }
        out.append(log1p(x) / log1p(period))
        for k in 1...max(fourier, 1) where fourier > 0 {
            let angle = 2 * Double.pi * Double(k) * x / period
            out.append(sin(angle))
            out.append(cos(angle))
        }
        return out
    }

    public func matrix(_ positions: [Int]) -> Matrix {
        Matrix(rows: positions.count, cols: count, storage: positions.flatMap(features))
    }
}
