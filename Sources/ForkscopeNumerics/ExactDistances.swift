import CKernels

/// Distances summed directly in Double from one row of a matrix to some others: the exact
/// refinement behind every neighbour search (no ‖a‖² + ‖b‖² − 2a·b cancellation). The sums run in
/// one fixed order whatever the CPU (`CKernels`: four interleaved partial sums, AVX2 lanes where
/// the CPU has them), so results are the same bits on every machine and thread count.
enum ExactDistances {
    /// ‖x_i − x_j‖² for each j in `others`.
    static func squaredEuclidean(_ x: Matrix, from i: Int, to others: [Int]) -> [Double] {
        run(fs_squared_distances, x, i, others)
    }

    /// x_i · x_j for each j in `others`.
    static func dots(_ x: Matrix, from i: Int, to others: [Int]) -> [Double] {
        run(fs_dot_products, x, i, others)
    }

    private typealias Kernel = (UnsafePointer<Double>?, UnsafePointer<Double>?, UnsafePointer<Int>?, Int, Int, UnsafeMutablePointer<Double>?) -> Void

    private static func run(_ kernel: Kernel, _ x: Matrix, _ i: Int, _ others: [Int]) -> [Double] {
        precondition(others.allSatisfy { (0..<x.rows).contains($0) } && (0..<x.rows).contains(i))
        return x.storage.withUnsafeBufferPointer { s in
            others.withUnsafeBufferPointer { rows in
                [Double](unsafeUninitializedCapacity: others.count) { out, count in
                    kernel(s.baseAddress! + i * x.cols, s.baseAddress!, rows.baseAddress, others.count, x.cols, out.baseAddress)
                    count = others.count
                }
            }
        }
    }
}
