/// A dense row-major matrix of `Double`.
///
/// States arrive as F16/BF16/F32 but every fit is done in double precision: the first token of
/// a causal model can be 100x the median norm, and single-precision sums of squares over such
/// data lose the small content variance we are trying to expose.
public struct Matrix: Sendable, Equatable {
    public let rows: Int
    public let cols: Int
    public var storage: [Double]

    public init(rows: Int, cols: Int, storage: [Double]) {
        precondition(rows >= 0 && cols >= 0 && storage.count == rows * cols, "storage does not match shape")
        self.rows = rows
        self.cols = cols
        self.storage = storage
    }

    public init(rows: Int, cols: Int, repeating value: Double = 0) {
        self.init(rows: rows, cols: cols, storage: Array(repeating: value, count: rows * cols))
    }

    /// A matrix whose every entry `fill` writes (through the pointer it is given) before it is
    /// used: no zero-filling pass over memory that is about to be overwritten.
    public init(rows: Int, cols: Int, filling fill: (UnsafeMutableBufferPointer<Double>) throws -> Void) rethrows {
        let storage = try [Double](unsafeUninitializedCapacity: rows * cols) { buffer, count in
            try fill(buffer)
            count = rows * cols
        }
        self.init(rows: rows, cols: cols, storage: storage)
    }

    public subscript(row: Int, col: Int) -> Double {
        get { storage[row * cols + col] }
        set { storage[row * cols + col] = newValue }
    }

    public func row(_ r: Int) -> ArraySlice<Double> {
        storage[(r * cols)..<((r + 1) * cols)]
    }

    /// The rows at `indices`, in that order (this matrix itself, uncopied, for all rows in order).
    public func selectingRows(_ indices: [Int]) -> Matrix {
        if indices.count == rows && indices.elementsEqual(0..<rows) { return self }
        var out = [Double]()
        out.reserveCapacity(indices.count * cols)
        for r in indices { out.append(contentsOf: row(r)) }
        return Matrix(rows: indices.count, cols: cols, storage: out)
    }

    /// Column means (a zero vector for an empty matrix).
    public func columnMeans() -> [Double] { columnMeans(rows: 0..<rows) }

    /// Column means of the rows at `indices`, summed in that order: `selectingRows(indices).columnMeans()`
    /// without the copy.
    public func columnMeans<Rows: Collection<Int>>(rows indices: Rows) -> [Double] {
        var mean = [Double](repeating: 0, count: cols)
        guard !indices.isEmpty else { return mean }
        storage.withUnsafeBufferPointer { s in
            for r in indices {
                let base = r * cols
                for c in 0..<cols { mean[c] += s[base + c] }
            }
        }
        let scale = 1 / Double(indices.count)
        for c in 0..<cols { mean[c] *= scale }
        return mean
    }

    /// This matrix with `vector` subtracted from every row.
    public func subtractingFromRows(_ vector: [Double]) -> Matrix {
        precondition(vector.count == cols)
        var out = self
        out.storage.withUnsafeMutableBufferPointer { s in
            for r in 0..<rows {
                let base = r * cols
                for c in 0..<cols { s[base + c] -= vector[c] }
            }
        }
        return out
    }

    /// Euclidean norm of every row.
    public func rowNorms() -> [Double] { rowSquaredNorms().map { $0.squareRoot() } }

    /// Squared Euclidean norm of every row.
    public func rowSquaredNorms() -> [Double] {
        (0..<rows).map { r in row(r).reduce(0) { $0 + $1 * $1 } }
    }

    /// Σ over `indices` of ‖row − mean of those rows‖², without copying them (two passes).
    public func sumOfSquaredDeviations(rows indices: [Int]) -> Double {
        guard !indices.isEmpty else { return 0 }
        var mean = [Double](repeating: 0, count: cols)
        for r in indices { for c in 0..<cols { mean[c] += self[r, c] } }
        for c in 0..<cols { mean[c] /= Double(indices.count) }
        return indices.reduce(0.0) { total, r in
            total + (0..<cols).reduce(0.0) { let e = self[r, $1] - mean[$1]; return $0 + e * e }
        }
    }

    /// Sum of squares of every entry.
    public var sumOfSquares: Double {
        storage.reduce(0) { $0 + $1 * $1 }
    }
}
