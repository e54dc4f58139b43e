import Foundation
import Testing
@testable import ForkscopeNumerics

/// Brute-force oracles written from docs/views-and-measures.md, in plain loops: distances,
/// then the tie rule (distances that chain within the tolerance once sorted count as equal and
/// go by lower index; tolerance 1e-10 absolute for cosine, 1e-7 of the row's largest distance
/// for Euclidean).
enum BruteForce {
    static func distances(_ x: Matrix, from i: Int, metric: Neighbours.Metric) -> [Double] {
        let a = NumericsKit.rowArray(x, i)
        return (0..<x.rows).map { j in
            let b = NumericsKit.rowArray(x, j)
            switch metric {
            case .euclidean:
                return zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
            case .cosine:
                let na = NumericsKit.norm(a), nb = NumericsKit.norm(b)
                return 1 - (na > 0 && nb > 0 ? NumericsKit.dot(a, b) / (na * nb) : 0)
            }
        }
    }

    /// Every other row of `i`, nearest first, by the tie rule.
    static func ranking(_ x: Matrix, from i: Int, metric: Neighbours.Metric) -> [Int] {
        let d = distances(x, from: i, metric: metric)
        let others = (0..<x.rows).filter { $0 != i }
        let tolerance = metric == .cosine ? 1e-10 : 1e-7 * (others.map { d[$0] }.max() ?? 0)
        let sorted = others.sorted { (d[$0], $0) < (d[$1], $1) }
        var out = [Int](), group = [Int]()
        for (p, j) in sorted.enumerated() {
            if p > 0 && d[j] - d[sorted[p - 1]] > tolerance { out += group.sorted(); group = [] }
            group.append(j)
        }
        return out + group.sorted()
    }

    static func nearest(_ x: Matrix, k: Int, metric: Neighbours.Metric) -> [[Int]] {
        (0..<x.rows).map { Array(ranking(x, from: $0, metric: metric).prefix(max(0, min(k, x.rows - 1)))) }
    }

    /// Venna & Kaski (2001): 1 − 2/(nk(2n − 3k − 1)) Σᵢ Σ_{j in the layout's k nearest of i, not in the input's} (rank − k).
    static func trustworthiness(input: Matrix, layout: Matrix, k: Int) -> Double {
        let n = input.rows
        var penalty = 0
        for i in 0..<n {
            let ranked = ranking(input, from: i, metric: .euclidean)
            let layoutNearest = ranking(layout, from: i, metric: .euclidean).prefix(k)
            for j in layoutNearest {
                let rank = ranked.firstIndex(of: j)! + 1
                if rank > k { penalty += rank - k }
            }
        }
        let nd = Double(n), kd = Double(k)
        return 1 - Double(penalty) * 2 / (nd * kd * (2 * nd - 3 * kd - 1))
    }

    /// Rousseeuw (1987), as sklearn: s(i) = (b − a)/max(a, b); 0 for a point alone in its cluster.
    static func silhouette(_ x: Matrix, labels: [Int]) -> Double {
        let n = x.rows
        var total = 0.0
        for i in 0..<n {
            let d = distances(x, from: i, metric: .euclidean)
            let own = (0..<n).filter { $0 != i && labels[$0] == labels[i] }
            if own.isEmpty { continue }
            let a = own.map { d[$0] }.reduce(0, +) / Double(own.count)
            let b = Set(labels).subtracting([labels[i]]).map { l -> Double in
                let members = (0..<n).filter { labels[$0] == l }
                return members.map { d[$0] }.reduce(0, +) / Double(members.count)
            }.min()!
            total += max(a, b) > 0 ? (b - a) / max(a, b) : 0
        }
        return total / Double(n)
    }
}

@Suite("Neighbours")
struct NeighboursTests {
    typealias K = NumericsKit

    /// 300 rows: more than one block of 256 rows, so the blocked distance loop is exercised.
    @Test("nearest matches brute force on random data", arguments: [(Neighbours.Metric.cosine, 10), (.euclidean, 10), (.cosine, 1), (.euclidean, 299)])
    func matchesBruteForce(metric: Neighbours.Metric, k: Int) {
        var x = K.gaussian(rows: 300, cols: 7, seed: 41)
        for i in 0..<300 { x[i, 0] += 3 }   // off-centre, so cosine and Euclidean orders differ
        let got = Neighbours.nearest(x, k: k, metric: metric)
        let want = BruteForce.nearest(x, k: k, metric: metric)
        #expect(got.count == 300)
        let wrong = (0..<300).filter { got[$0] != want[$0] }
        #expect(wrong.isEmpty, "\(metric) k \(k): rows \(wrong.prefix(5)) differ, e.g. \(wrong.first.map { "\(got[$0]) vs \(want[$0])" } ?? "")")
    }

    /// v, w, v, 3v, w: for cosine, v and 3v point the same way (distance 0, up to rounding) and
    /// the two w are equally far from v: every tie goes to the lower index.
    @Test("cosine ties (copies and scaled copies of a state) go to the lower index")
    func cosineTies() {
        let v = [0.3, -1.2, 0.7], w = [1.0, 0.4, -0.2]
        let x = K.matrix([v, w, v, v.map { 3 * $0 }, w])
        let nearest = Neighbours.nearest(x, k: 3, metric: .cosine)
        #expect(nearest[0] == [2, 3, 1])
        #expect(nearest[3] == [0, 2, 1])
        #expect(nearest[4] == [1, 0, 2])
        #expect(nearest == BruteForce.nearest(x, k: 3, metric: .cosine))
    }

    /// The origin with four points at distance 1 around it, and a far point equidistant from two of them.
    @Test("Euclidean ties go to the lower index")
    func euclideanTies() {
        let x = K.matrix([[0, 0], [1, 0], [0, 1], [-1, 0], [0, -1], [5, 5]])
        let nearest = Neighbours.nearest(x, k: 2, metric: .euclidean)
        #expect(nearest[0] == [1, 2])
        #expect(nearest[5] == [1, 2])        // √41 both
        #expect(nearest[3] == [0, 2])        // 0 at 1; 2 and 4 at √2
        #expect(nearest == BruteForce.nearest(x, k: 2, metric: .euclidean))
    }

    /// Euclidean distances within 1e-7 of the row's largest (10 here) are equal: the lower index
    /// wins although it is (by a rounding-noise amount) farther. A real difference is not a tie.
    @Test("near-equal Euclidean distances count as tied; real differences do not",
          arguments: [(1e-12, [1, 2]), (1e-8, [1, 2]), (1e-4, [2, 1])])
    func nearTies(offset: Double, expected: [Int]) {
        let x = K.matrix([[0], [1 + offset], [-1], [10]])
        #expect(Neighbours.nearest(x, k: 2, metric: .euclidean)[0] == expected)
    }

    /// The tie rule holds wherever the k-th nearest falls: here the row's largest distance is 1000,
    /// so distances within 1e-4 are tied, and row 1 (at 1.00005) ties with row 2 (at 1) and wins
    /// by its lower index. Only considering rows within 1e-6 · max(1, kth) of the k-th nearest as
    /// possible ties, narrower than the Euclidean tolerance when the row's largest distance is
    /// more than 10x the k-th nearest's, leaves row 1 out. (In the demo's layer 12 raw PCA layout
    /// this swaps one neighbour and moves trustworthiness by 1.8e-4.)
    @Test("a tie with the k-th nearest counts even when the row's largest distance is far larger")
    func tieAtTheKthWithAFarRow() {
        let x = K.matrix([[0], [1 + 5e-5], [1], [1000]])
        #expect(BruteForce.nearest(x, k: 1, metric: .euclidean)[0] == [1])
        #expect(Neighbours.nearest(x, k: 1, metric: .euclidean)[0] == [1])
        #expect(Neighbours.nearest(x, k: 2, metric: .euclidean)[0] == [1, 2])
    }

    /// Cosine distances: 1e-10 absolute.
    @Test("near-equal cosine distances count as tied; real differences do not", arguments: [(1e-13, [1, 2]), (1e-6, [2, 1])])
    func nearCosineTies(angle: Double, expected: [Int]) {
        // Row 1 is `angle` further from row 0's direction than row 2 is.
        let x = K.matrix([[1, 0], [cos(0.5 + angle), sin(0.5 + angle)], [cos(0.5), -sin(0.5)], [-1, 0]])
        #expect(Neighbours.nearest(x, k: 2, metric: .cosine)[0] == expected)
    }

    @Test("k is capped at n − 1; a single row has no neighbours")
    func smallInputs() {
        let x = K.matrix([[1, 0], [0, 1], [1, 1]])
        #expect(Neighbours.nearest(x, k: 10, metric: .euclidean).map(\.count) == [2, 2, 2])
        #expect(Neighbours.nearest(K.matrix([[1, 2]]), k: 10, metric: .cosine) == [[]])
        #expect(Neighbours.nearest(Matrix(rows: 0, cols: 2), k: 3, metric: .cosine).isEmpty)
    }

    /// A zero vector has no direction: cosine distance 1 to everything, so it ties with orthogonal rows.
    @Test("a zero row is at cosine distance 1 from every row")
    func zeroRow() {
        let x = K.matrix([[0, 0], [1, 0], [0, 1], [-1, 0.1]])
        #expect(Neighbours.nearest(x, k: 3, metric: .cosine)[0] == [1, 2, 3])
        // From (1, 0): (0, 1) and the zero row are both at distance 1: the zero row (index 0) first.
        #expect(Neighbours.nearest(x, k: 2, metric: .cosine)[1] == [0, 2])
        #expect(Neighbours.nearest(x, k: 3, metric: .cosine) == BruteForce.nearest(x, k: 3, metric: .cosine))
    }

    /// Rows 0, 1 labelled 0, rows 2, 3 labelled 1; neighbours [[1,2],[0,2],[0,1],[2,1]]:
    /// shares 1/2, 1/2, 0, 1/2, mean 3/8.
    @Test("purity by hand, and nil without neighbours")
    func purity() throws {
        let p = try #require(Neighbours.purity([[1, 2], [0, 2], [0, 1], [2, 1]], labels: [0, 0, 1, 1]))
        #expect(p == 0.375)
        #expect(Neighbours.purity([], labels: []) == nil)
        #expect(Neighbours.purity([[1], []], labels: [0, 0]) == nil)
    }

    /// Labels 0, 0, 0, 1, 1, 2 (n = 6): (2/5 · 3 + 1/5 · 2 + 0) / 6 = 4/15.
    @Test("chance purity by hand, and nil below two rows")
    func chancePurity() throws {
        let c = try #require(Neighbours.chancePurity(labels: [0, 0, 0, 1, 1, 2]))
        #expect(abs(c - 4.0 / 15.0) < 1e-15)
        #expect(Neighbours.chancePurity(labels: [5, 5]) == 1)
        #expect(Neighbours.chancePurity(labels: [5]) == nil)
    }

    /// Chance purity is what purity averages to over random neighbour lists: over all ordered
    /// choices of one neighbour per row, the mean share is exactly (n_g − 1)/(n − 1).
    @Test("chance purity is the mean purity of every possible single neighbour")
    func chanceIsTheMeanOverNeighbours() throws {
        let labels = [0, 0, 0, 1, 1, 2]
        var total = 0.0, count = 0
        // Every row's single neighbour ranges over the other rows: average each row's share.
        for i in labels.indices {
            for j in labels.indices where j != i {
                total += labels[i] == labels[j] ? 1 : 0
                count += 1
            }
        }
        let mean = total / Double(count)
        #expect(abs(mean - (try #require(Neighbours.chancePurity(labels: labels)))) < 1e-15)
    }
}

@Suite("LayoutQuality")
struct LayoutQualityTests {
    typealias K = NumericsKit

    /// Input 0, 1, 3, 7 on a line; layout 0, 3, 1, 7 (tokens 1 and 2 swapped). k = 1: every
    /// token's layout neighbour is its input rank-2 neighbour (0→2, 1→2, 2→0, 3→1), penalty
    /// 4 · (2 − 1), normaliser 2/(4 · 1 · (8 − 3 − 1)) = 1/8: T = 1 − 4/8 = 0.5 (as sklearn).
    @Test("trustworthiness by hand")
    func trustworthinessByHand() throws {
        let t = try #require(LayoutQuality.trustworthiness(input: K.matrix([[0], [1], [3], [7]]), layout: K.matrix([[0], [3], [1], [7]]), k: 1))
        #expect(abs(t - 0.5) < 1e-15)
        // A layout that keeps every neighbourhood is fully trustworthy.
        let same = try #require(LayoutQuality.trustworthiness(input: K.matrix([[0, 0], [1, 0], [3, 0], [7, 0]]), layout: K.matrix([[0], [1], [3], [7]]), k: 1))
        #expect(same == 1)
    }

    @Test("trustworthiness matches brute force on random data (PCA and random layouts)", arguments: [(40, 5), (60, 10), (25, 12)])
    func trustworthinessMatchesBruteForce(shape: (Int, Int)) throws {
        let (n, k) = shape
        let x = K.gaussian(rows: n, cols: 6, seed: UInt64(n + k))
        let pca = PCA(fitting: x, components: 2).scores
        let random = K.product(x, K.gaussian(rows: 6, cols: 2, seed: 7))
        for layout in [pca, random] {
            let t = try #require(LayoutQuality.trustworthiness(input: x, layout: layout, k: k))
            #expect(abs(t - BruteForce.trustworthiness(input: x, layout: layout, k: k)) < 1e-12, "n \(n) k \(k)")
        }
    }

    /// Duplicate states (a shared prefix) make many equal distances: ties by lower index in both spaces.
    @Test("trustworthiness with duplicate states matches the tie rule")
    func trustworthinessWithDuplicates() throws {
        let base = K.gaussian(rows: 8, cols: 4, seed: 55)
        let x = base.selectingRows([0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 0, 1, 4, 5, 6, 7, 2, 3, 0, 5])
        let layout = PCA(fitting: x, components: 2).scores
        let t = try #require(LayoutQuality.trustworthiness(input: x, layout: layout, k: 4))
        #expect(abs(t - BruteForce.trustworthiness(input: x, layout: layout, k: 4)) < 1e-12)
    }

    @Test("trustworthiness is nil unless 1 ≤ k < n/2")
    func trustworthinessNil() {
        let x = K.gaussian(rows: 20, cols: 3, seed: 1), y = K.gaussian(rows: 20, cols: 2, seed: 2)
        #expect(LayoutQuality.trustworthiness(input: x, layout: y, k: 10) == nil)   // 10 = n/2
        #expect(LayoutQuality.trustworthiness(input: x, layout: y, k: 0) == nil)
        #expect(LayoutQuality.trustworthiness(input: x, layout: y, k: 9) != nil)
        let x21 = K.gaussian(rows: 21, cols: 3, seed: 1), y21 = K.gaussian(rows: 21, cols: 2, seed: 2)
        #expect(LayoutQuality.trustworthiness(input: x21, layout: y21, k: 10) != nil)  // 10 < 10.5
    }

    /// Clusters {0, 2} and {10, 12}: a = 2 everywhere, b = 11 for the outer points and 9 for the
    /// inner ones: (9/11 + 7/9) / 2 = 79/99. A third cluster of one point far away (30) adds a 0
    /// and changes no b: (2 · 9/11 + 2 · 7/9 + 0) / 5 = 316/495 (both as sklearn).
    @Test("silhouette by hand")
    func silhouetteByHand() throws {
        let s = try #require(LayoutQuality.silhouette(K.matrix([[0], [2], [10], [12]]), labels: [0, 0, 1, 1]))
        #expect(abs(s - 79.0 / 99.0) < 1e-15)
        let t = try #require(LayoutQuality.silhouette(K.matrix([[0], [2], [10], [12], [30]]), labels: [3, 3, 8, 8, 1]))
        #expect(abs(t - 316.0 / 495.0) < 1e-15)
    }

    @Test("silhouette matches brute force on random clustered data", arguments: [UInt64(1), 2, 3])
    func silhouetteMatchesBruteForce(seed: UInt64) throws {
        var x = K.gaussian(rows: 45, cols: 2, seed: seed)
        let labels = (0..<45).map { $0 % 4 }
        for i in 0..<45 { x[i, 0] += Double(labels[i]) * 1.5 }
        let s = try #require(LayoutQuality.silhouette(x, labels: labels))
        #expect(abs(s - BruteForce.silhouette(x, labels: labels)) < 1e-12)
    }

    @Test("silhouette is nil with one cluster, or with as many clusters as points")
    func silhouetteNil() {
        let x = K.matrix([[0], [1], [2]])
        #expect(LayoutQuality.silhouette(x, labels: [4, 4, 4]) == nil)
        #expect(LayoutQuality.silhouette(x, labels: [0, 1, 2]) == nil)
        #expect(LayoutQuality.silhouette(x, labels: [0, 1, 1]) != nil)
    }
}
