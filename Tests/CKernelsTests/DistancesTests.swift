import CKernels
import Testing

/// The distance kernels against the summation order they promise, written out in Swift: four
/// interleaved partial sums, the tail into the first, then (s0 + s1) + (s2 + s3).
struct DistancesTests {
    static func reference(_ a: [Double], _ b: [Double], squared: Bool) -> Double {
        var s = [0.0, 0.0, 0.0, 0.0]
        var c = 0
        while c + 4 <= a.count {
            for lane in 0..<4 {
                let t = squared ? (a[c + lane] - b[c + lane]) * (a[c + lane] - b[c + lane]) : a[c + lane] * b[c + lane]
                s[lane] += t
            }
            c += 4
        }
        while c < a.count {
            s[0] += squared ? (a[c] - b[c]) * (a[c] - b[c]) : a[c] * b[c]
            c += 1
        }
        return (s[0] + s[1]) + (s[2] + s[3])
    }

    /// Every length around the vector width and the four-row blocks, rows in any order and
    /// repeated: the same bits as the reference order.
    @Test(arguments: [1, 3, 4, 5, 8, 13, 64, 67])
    func sameBitsAsTheStatedOrder(d: Int) {
        var generator = SystemRandomNumberGenerator()
        let n = 9
        let x = (0..<(n * d)).map { _ in Double.random(in: -1000...1000, using: &generator) * (Bool.random() ? 1e-3 : 1) }
        let rows = [4, 0, 8, 8, 2, 7, 1, 5, 3, 6, 0]
        let a = Array(x[(2 * d)..<(3 * d)])
        let kernels = [(fs_squared_distances, true), (fs_dot_products, false),
                       (fs_squared_distances_portable, true), (fs_dot_products_portable, false)]
        for (kernel, squared) in kernels {
            var out = [Double](repeating: .nan, count: rows.count)
            x.withUnsafeBufferPointer { base in
                rows.withUnsafeBufferPointer { r in
                    kernel(base.baseAddress! + 2 * d, base.baseAddress!, r.baseAddress!, rows.count, d, &out)
                }
            }
            let expected = rows.map { Self.reference(a, Array(x[($0 * d)..<(($0 + 1) * d)]), squared: squared) }
            #expect(out.map(\.bitPattern) == expected.map(\.bitPattern))
        }
    }

    /// A hand-checked case: rows (1, 2, 2) and (0, 0, 0) are 3 apart; their dot with (1, 2, 2) is 9 and 0.
    @Test func handChecked() {
        let x: [Double] = [1, 2, 2, 0, 0, 0]
        var out = [Double](repeating: 0, count: 2)
        x.withUnsafeBufferPointer { base in
            [0, 1].withUnsafeBufferPointer { r in
                fs_squared_distances(base.baseAddress!, base.baseAddress!, r.baseAddress!, 2, 3, &out)
            }
        }
        #expect(out == [0, 9])
        x.withUnsafeBufferPointer { base in
            [0, 1].withUnsafeBufferPointer { r in
                fs_dot_products(base.baseAddress!, base.baseAddress!, r.baseAddress!, 2, 3, &out)
            }
        }
        #expect(out == [9, 0])
    }
}
