/// Per-column standardisation fitted on some rows and applied to any: (x − mean) / std, with
/// columns of (relatively) zero spread mapped to 0 rather than divided by ~0.
public struct Standardizer: Sendable {
    public let mean: [Double]
    /// 1/std per column, 0 for dropped columns.
    public let inverseScale: [Double]

    public init(fitting x: Matrix, relativeFloor: Double = 1e-12) {
        mean = x.columnMeans()
        let std = x.columnStandardDeviations(mean: mean)
        let floor = (std.max() ?? 0) * relativeFloor
        inverseScale = std.map { $0 > floor && $0 > 0 ? 1 / $0 : 0 }
    }

    /// Indices of the columns kept (non-zero spread).
    public var keptColumns: [Int] { inverseScale.indices.filter { inverseScale[$0] != 0 } }

    public func apply(_ x: Matrix) -> Matrix {
        var out = x
        for r in 0..<x.rows { for c in 0..<x.cols { out[r, c] = (x[r, c] - mean[c]) * inverseScale[c] } }
        return out
    }
}
