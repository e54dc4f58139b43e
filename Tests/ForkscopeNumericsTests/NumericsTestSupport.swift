import ForkscopeNumerics

/// Helpers shared by the numerics tests (kept in one namespace so they cannot collide).
enum NumericsKit {
    /// A deterministic pseudo-random generator (SplitMix64), so failures are reproducible.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func matrix(_ rows: [[Double]]) -> Matrix {
        let cols = rows.first?.count ?? 0
        precondition(rows.allSatisfy { $0.count == cols })
        return Matrix(rows: rows.count, cols: cols, storage: rows.flatMap { $0 })
    }

    static func random(rows: Int, cols: Int, seed: UInt64, scale: Double = 1) -> Matrix {
        var rng = SplitMix(seed: seed)
        return Matrix(rows: rows, cols: cols,
                      storage: (0..<(rows * cols)).map { _ in Double.random(in: -scale...scale, using: &rng) })
    }

    /// `|a - b| <= tol * max(1, |b|)`.
    static func close(_ a: Double, _ b: Double, _ tol: Double = 1e-12) -> Bool {
        abs(a - b) <= tol * max(1, abs(b))
    }

    static func close(_ a: [Double], _ b: [Double], _ tol: Double = 1e-12) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { close($0, $1, tol) }
    }

    static func rowArray(_ m: Matrix, _ r: Int) -> [Double] { Array(m.row(r)) }

    static func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }

    static func norm(_ a: [Double]) -> Double { dot(a, a).squareRoot() }

    /// Appends `extra` zero columns to every row.
    static func padded(_ m: Matrix, extra: Int) -> Matrix {
        var out = [Double]()
        for r in 0..<m.rows { out += Array(m.row(r)) + Array(repeating: 0, count: extra) }
        return Matrix(rows: m.rows, cols: m.cols + extra, storage: out)
    }
}
