import Foundation
import Testing
@testable import ForkscopeNumerics

/// The one-pass neighbourhood measures (Float GEMM, exact refinement) against the brute-force
/// oracles of NeighboursTests.swift, which compute every distance directly in Double.
@Suite("NeighbourhoodMeasures")
struct NeighbourhoodMeasuresTests {
    typealias K = NumericsKit

    /// Rows that are hard for Float distances: a large shared mean (cancellation), exact copies
    /// (ties that must go by index), near-copies (within the tie tolerance or just outside), and
    /// one row 1000x the others' norm (a large rounding bound for every query).
    static func hardRows(_ n: Int, _ d: Int, seed: UInt64, outlier: Bool) -> Matrix {
        var x = K.gaussian(rows: n, cols: d, seed: seed)
        for i in 0..<n { x[i, 0] += 40; x[i, 1] -= 25 }
        for i in stride(from: 5, to: n, by: 7) { for c in 0..<d { x[i, c] = x[i - 3, c] } }
        for i in stride(from: 6, to: n, by: 11) { for c in 0..<d { x[i, c] = x[i - 4, c] * (1 + 1e-13) } }
        if outlier { for c in 0..<d { x[n - 1, c] *= 1000 } }
        return x
    }

    @Test("exact cosine neighbours and trustworthiness of two layouts, every row a query",
          arguments: [(seed: UInt64(3), outlier: false), (seed: UInt64(4), outlier: true)])
    func matchesBruteForce(seed: UInt64, outlier: Bool) throws {
        let (n, d, k) = (150, 24, 10)
        let x = Self.hardRows(n, d, seed: seed, outlier: outlier)
        let pca = PCA(fitting: x, components: 2).scores
        let random = K.gaussian(rows: n, cols: 2, seed: seed + 100)
        let pass = NeighbourhoodMeasures(input: x, layouts: [pca, random], k: k, queries: Array(0..<n))
        #expect(pass.cosineNeighbours == BruteForce.nearest(x, k: k, metric: .cosine))
        for (l, layout) in [pca, random].enumerated() {
            let got = try #require(pass.trustworthiness[l])
            let want = BruteForce.trustworthiness(input: x, layout: layout, k: k)
            #expect(abs(got - want) < 1e-12, "layout \(l): \(got) vs \(want)")
        }
    }

    /// With a subset of queries, each query's neighbours are still those among all rows, and
    /// trustworthiness is the brute-force penalty of the queries, normalised by m instead of n.
    @Test("query subsets: neighbours among all rows, trustworthiness averaged over the queries")
    func querySubset() throws {
        let (n, d, k) = (120, 16, 5)
        let x = Self.hardRows(n, d, seed: 9, outlier: false)
        let layout = PCA(fitting: x, components: 2).scores
        let queries = NeighbourhoodMeasures.queries(count: n, limit: 37)
        #expect(queries.count == 37 && queries.first == 0 && queries == queries.sorted() && Set(queries).count == 37)
        let pass = NeighbourhoodMeasures(input: x, layouts: [layout], k: k, queries: queries)
        let all = BruteForce.nearest(x, k: k, metric: .cosine)
        #expect(pass.cosineNeighbours == queries.map { all[$0] })
        var penalty = 0
        for i in queries {
            let ranked = BruteForce.ranking(x, from: i, metric: .euclidean)
            for j in BruteForce.ranking(layout, from: i, metric: .euclidean).prefix(k) {
                penalty += max(0, ranked.firstIndex(of: j)! + 1 - k)
            }
        }
        let (m, nd, kd) = (37.0, Double(n), Double(k))
        let want = 1 - Double(penalty) * 2 / (m * kd * (2 * nd - 3 * kd - 1))
        let got = try #require(pass.trustworthiness[0])
        #expect(abs(got - want) < 1e-12)
        #expect(penalty > 0, "a layout that loses no neighbour would not test the ranks")
    }

    @Test("queries: all rows up to the limit, else an even spread")
    func queries() {
        #expect(NeighbourhoodMeasures.queries(count: 5, limit: 10) == [0, 1, 2, 3, 4])
        #expect(NeighbourhoodMeasures.queries(count: 10, limit: 4) == [0, 2, 5, 7])
        #expect(NeighbourhoodMeasures.queries(count: 0) == [])
    }

    /// Silhouette over a subset of queries: the mean of the brute-force s(i) over those rows.
    @Test("silhouette over queries is the mean of s(i) over them")
    func silhouetteOverQueries() throws {
        let x = K.gaussian(rows: 60, cols: 2, seed: 5)
        let labels = (0..<60).map { $0 % 3 }
        let all = try #require(LayoutQuality.silhouette(x, labels: labels))
        #expect(abs(all - BruteForce.silhouette(x, labels: labels)) < 1e-12)
        let queries = [0, 7, 13, 42]
        let some = try #require(LayoutQuality.silhouette(x, labels: labels, queries: queries))
        let wanted = queries.map { q -> Double in
            let d = BruteForce.distances(x, from: q, metric: .euclidean)
            let own = (0..<60).filter { $0 != q && labels[$0] == labels[q] }
            let a = own.map { d[$0] }.reduce(0, +) / Double(own.count)
            let b = Set(labels).subtracting([labels[q]]).map { l in
                (0..<60).filter { labels[$0] == l }.map { d[$0] }.reduce(0, +) / 20
            }.min()!
            return (b - a) / max(a, b)
        }.reduce(0, +) / 4
        #expect(abs(some - wanted) < 1e-12)
    }
}
