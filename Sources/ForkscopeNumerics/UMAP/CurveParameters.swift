import Foundation

/// umap-learn's `find_ab_params`: the a, b of the low-dimensional similarity 1 / (1 + a d^{2b}) that
/// fit, in least squares over 300 points of [0, 3 · spread], the curve that is 1 below `minDist` and
/// exp(−(d − minDist)/spread) above. Fitted by Levenberg–Marquardt from (1, 1), as scipy's
/// `curve_fit` does.
public enum CurveParameters {
    public static func fit(spread: Double, minDist: Double) -> (a: Double, b: Double) {
        let xs = (0..<300).map { Double($0) * spread * 3 / 299 }
        let ys = xs.map { $0 < minDist ? 1 : exp(-($0 - minDist) / spread) }
        var a = 1.0, b = 1.0, lambda = 1e-3
        func loss(_ a: Double, _ b: Double) -> Double {
            zip(xs, ys).reduce(0) { s, p in let r = 1 / (1 + a * pow(p.0, 2 * b)) - p.1; return s + r * r }
        }
        var current = loss(a, b)
        for _ in 0..<500 {
            // Gauss–Newton normal equations J^T J δ = −J^T r with Marquardt's damping.
            var jaa = 0.0, jab = 0.0, jbb = 0.0, ga = 0.0, gb = 0.0
            for (x, y) in zip(xs, ys) {
                let p = x > 0 ? pow(x, 2 * b) : 0
                let f = 1 / (1 + a * p)
                let da = -p * f * f
                let db = x > 0 ? -a * p * 2 * log(x) * f * f : 0
                let r = f - y
                jaa += da * da; jab += da * db; jbb += db * db; ga += da * r; gb += db * r
            }
            var improved = false
            while lambda < 1e12 {
                let m00 = jaa * (1 + lambda), m11 = jbb * (1 + lambda)
                let det = m00 * m11 - jab * jab
                let stepA = -(m11 * ga - jab * gb) / det, stepB = -(m00 * gb - jab * ga) / det
                let trial = loss(a + stepA, b + stepB)
                if trial < current {
                    let relative = (current - trial) / max(current, 1e-300)
                    a += stepA; b += stepB; current = trial; lambda = max(lambda / 10, 1e-12); improved = true
                    if relative < 1e-15 { return (a, b) }
                    break
                }
                lambda *= 10
            }
            if !improved { break }
        }
        return (a, b)
    }
}
