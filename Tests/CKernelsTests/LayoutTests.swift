import CKernels
import Foundation
import Testing

/// The layout kernel's power against libm's in Double, and its versions against each other.
struct LayoutTests {
    /// UMAP's b for min_dist 0.1 (0.7915), b − 1 as the attraction uses it, and others.
    static let exponents: [Float] = [0.7915, -0.2085, 0.5, 1, 1.5, 2]

    /// Relative error within 3e-7 plus what rounding z = y·log2 x to float costs (log2 x and the
    /// product each to half an ulp: below 2⁻²³|z| after the factor ln 2 of 2^z),
    /// wherever x^y is a normal float (outside, it is clamped: `powerClampsBelowTheSmallestNormal`).
    @Test(arguments: exponents)
    func powerIsWithinAFewPartsInTenMillion(y: Float) {
        var worst = 0.0
        var x: Float = 1e-30
        while x < 1e6 {
            for scale: Float in [1, 1.000_001, 1.3, 1.414_213_5, 1.414_213_7, 1.9] {
                let v = x * scale
                let exact = Foundation.pow(Double(v), Double(y))
                guard exact >= Double(Float.leastNormalMagnitude), exact < Double(Float.greatestFiniteMagnitude) else { continue }
                let z = abs(Double(y) * log2(Double(v)))
                let got = Double(fs_layout_power(v, y))
                worst = max(worst, abs(got - exact) / exact / (3e-7 + 0x1p-23 * z))
            }
            x *= 3.7
        }
        #expect(worst <= 1, "largest error over its bound \(worst)")
    }

    @Test func powerClampsBelowTheSmallestNormal() {
        let floor = fs_layout_power(Float.leastNormalMagnitude, 0.5)
        #expect(fs_layout_power(Float.leastNonzeroMagnitude, 0.5) == floor)
        #expect(abs(Double(floor) - Double(Float.leastNormalMagnitude).squareRoot()) / Double(floor) < 1e-6)
    }

    /// Random batches of every length around the vector width, with coincident samples: the
    /// dispatched version has the portable one's bits, and both follow the formula in Double.
    @Test func repulsionMatchesThePortableVersionAndTheFormula() {
        var rng = SystemRandomNumberGenerator()
        let a: Float = 1.577, b: Float = 0.8951, g = 2 * b
        for count in 0...19 {
            for _ in 0..<50 {
                let x = Float.random(in: -10...10, using: &rng), y = Float.random(in: -10...10, using: &rng)
                var qx = (0..<count).map { _ in Float.random(in: -10...10, using: &rng) }
                var qy = (0..<count).map { _ in Float.random(in: -10...10, using: &rng) }
                if count > 2 { qx[1] = x; qy[1] = y }                           // d² = 0: no step
                if count > 3 { qx[2] = x + 1e-3; qy[2] = y }                    // clipped to ±4
                var fast: [Float] = [0.25, -0.5], portable = fast
                fs_layout_repulsion(x, y, qx, qy, Int32(count), a, b, g, &fast)
                fs_layout_repulsion_portable(x, y, qx, qy, Int32(count), a, b, g, &portable)
                #expect(fast.map(\.bitPattern) == portable.map(\.bitPattern))
                var expected = [0.25, -0.5]
                for i in 0..<count {
                    let ox = Double(x - qx[i]), oy = Double(y - qy[i]), d2 = ox * ox + oy * oy
                    guard d2 > 0 else { continue }
                    let c = Double(g) / ((0.001 + d2) * (Double(a) * Foundation.pow(d2, Double(b)) + 1))
                    expected[0] += min(4, max(-4, c * ox)); expected[1] += min(4, max(-4, c * oy))
                }
                for axis in 0..<2 {
                    #expect(abs(Double(fast[axis]) - expected[axis]) <= 1e-5 * (1 + abs(expected[axis])) * Double(count + 1))
                }
            }
        }
    }
}
