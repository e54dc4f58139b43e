import Foundation
import Testing
import ForkscopeNumerics
import ForkscopeTestSupport
@testable import Forkscope

/// `position_probe` through its closed forms (one Gram matrix for every fold; zero weights for
/// `position_mean`) against the general path that refits the view and the probe in every fold.
@Suite("position_probe closed forms")
struct PositionProbeFoldsTests {
    /// 5 roots of 3 branches, 12 tokens each at positions 0..<12 (the roots' own 0..<6, the
    /// children 6..<12), states with a positional direction, a large shared offset and noise;
    /// two tokens are not fit tokens (as massive ones are not), and d = 20 < n.
    static func layer(cols: Int = 20, seed: UInt64 = 7) -> LayerInput {
        var rng = SeededGenerator(seed: seed)
        var positions = [Int](), branches = [Int]()
        var branch = 0
        for _ in 0..<5 {
            positions += Array(0..<6); branches += Array(repeating: branch, count: 6)
            branch += 1
            for _ in 0..<2 {
                positions += Array(6..<12); branches += Array(repeating: branch, count: 6)
                branch += 1
            }
        }
        let n = positions.count
        var x = Matrix(rows: n, cols: cols)
        for t in 0..<n {
            for c in 0..<cols {
                x[t, c] = 50 + Double.random(in: -1...1, using: &rng) + (c < 3 ? 0.3 * Double(positions[t]) : 0)
            }
        }
        var z = x
        for t in 0..<n { for c in 0..<cols { z[t, c] = x[t, c] * 0.5 + Double.random(in: -1...1, using: &rng) } }
        var fit = [Bool](repeating: true, count: n)
        fit[4] = false; fit[40] = false
        return LayerInput(states: x, zeroPE: z, positions: positions, branches: branches, fit: fit,
                          basis: PositionBasis(degree: 3, fourier: 4, largestPosition: 11))
    }

    static func roots(_ input: LayerInput) -> [Int] {
        // Root group of each token: branches 0-2 are root 0, 3-5 root 1, ...
        input.branches.map { $0 / 3 }
    }

    @Test("closed forms equal refitting every fold", arguments: ["raw", "raw+z", "zero_pe", "zero_pe+z", "position_mean", "position_mean+z",
                                                                        "regress", "regress+z", "leace", "leace+z", "abtt", "abtt+z"])
    func closedFormsMatchTheGeneralPath(name: String) throws {
        let view = try #require(View(name: name))
        for (cols, seed) in [(20, UInt64(7)), (90, UInt64(8))] {   // d < n and d > n (dual form)
            let input = Self.layer(cols: cols, seed: seed)
            let folds = Self.roots(input)
            let fast = try #require(ViewMeasures.heldOutProbe(view, input: input, settings: DebiasSettings(), folds: folds))
            let general = try #require(ViewMeasures.heldOutProbe(view, input: input, settings: DebiasSettings(), folds: folds, general: true))
            #expect(abs(fast - general) < 1e-9, "\(name), d = \(cols): \(fast) vs \(general)")
        }
    }

    /// States whose first columns are exact functions of the position basis: the linear views
    /// erase them to rounding noise, whose moments are not positive definite once standardised.
    /// The folded probe then takes the view's rows for that fold. Both it and the refit then read
    /// some columns of pure rounding noise (standardised to unit variance), so they agree only to
    /// the noise's effect: within 1e-4 (leace: 2e-5; regress and abtt+z: below 1e-6).
    @Test("columns erased exactly: the folded probe falls back to the rows", arguments: ["regress", "leace", "abtt+z"])
    func erasedColumns(name: String) throws {
        let view = try #require(View(name: name))
        var input = Self.layer(cols: 20, seed: 9)
        var x = input.states
        for t in 0..<x.rows {
            let phi = input.basis.features(input.positions[t])
            for c in 0..<3 { x[t, c] = phi[c] * 40 + phi[3 + c] }
        }
        input = LayerInput(states: x, zeroPE: nil, positions: input.positions, branches: input.branches, fit: input.fit, basis: input.basis)
        let folds = Self.roots(input)
        let fast = try #require(ViewMeasures.heldOutProbe(view, input: input, settings: DebiasSettings(), folds: folds))
        let general = try #require(ViewMeasures.heldOutProbe(view, input: input, settings: DebiasSettings(), folds: folds, general: true))
        #expect(abs(fast - general) < 1e-4, "\(name): \(fast) vs \(general)")
    }

    /// The raw probe decodes the planted positional direction; erasing position-means blinds it.
    @Test("the raw probe finds the planted position, position_mean's does not")
    func plantedPosition() throws {
        let input = Self.layer()
        let raw = try #require(ViewMeasures.heldOutProbe(.raw, input: input, settings: DebiasSettings(), folds: Self.roots(input)))
        let erased = try #require(ViewMeasures.heldOutProbe(.positionMean, input: input, settings: DebiasSettings(), folds: Self.roots(input)))
        #expect(raw > 0.5)
        #expect(erased <= 0.0 + 1e-12)
    }
}
