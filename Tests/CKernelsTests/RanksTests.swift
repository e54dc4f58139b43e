import CKernels
import Testing

/// A rank's window scan against its definition on doubles, in both versions.
struct RanksTests {
    @Test(arguments: [0, 1, 3, 4, 5, 8, 31, 1000])
    func windowMatchesTheDefinition(n: Int) {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<40 {
            // Few distinct values, so windows catch ties and edges exactly.
            let values = (0..<n).map { _ in Double(Int.random(in: 0...20, using: &rng)) * 0.25 }
            let lo = Double(Int.random(in: -2...20, using: &rng)) * 0.25, hi = lo + Double(Int.random(in: 0...8, using: &rng)) * 0.25
            let skip1 = Int.random(in: -1..<max(n, 1), using: &rng), skip2 = Int.random(in: -1..<max(n, 1), using: &rng)
            let below = lo > 0 ? lo.bitPattern : 0
            let low = max(0, lo).bitPattern, width = max(0, hi).bitPattern &- low
            let expectedBefore = lo > 0 ? values.filter { $0 < lo }.count : 0
            let expectedBand = values.indices.filter { values[$0] >= max(0, lo) && values[$0] <= max(0, hi) && $0 != skip1 && $0 != skip2 }
            let bits = values.map(\.bitPattern)
            for fast in [true, false] {
                var band = [Int](repeating: -7, count: n + 1), count = 0
                let before = fast
                    ? fs_rank_window(bits, n, below, low, width, skip1, skip2, &band, &count)
                    : fs_rank_window_portable(bits, n, below, low, width, skip1, skip2, &band, &count)
                #expect(before == expectedBefore)
                #expect(Array(band.prefix(count)) == expectedBand)
            }
        }
    }
}
