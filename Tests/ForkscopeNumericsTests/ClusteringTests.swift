import Foundation
import Testing
import ForkscopeNumerics
import ForkscopeTestSupport

/// HDBSCAN, k-means, AMI/ARI and c-TF-IDF against scikit-learn (and BERTopic's formula) on the
/// fixtures of Tests/Fixtures/clusters (make_cluster_fixtures.py writes them).
struct ClusteringTests {
    struct HDBSCANCase: Decodable { let name: String; let points: [[Double]]; let min_cluster_size: Int; let min_samples: Int; let labels: [Int] }
    struct KMeansCase: Decodable { let name: String; let points: [[Double]]; let k: Int; let labels: [Int] }
    struct ScoreCase: Decodable { let name: String; let a: [Int]; let b: [Int]; let ami: Double; let ari: Double }
    struct TFIDFCase: Decodable {
        let labels: [Int]; let tokens: [String]; let top: [Top]
        /// [label, [[token, score, count], …]]
        struct Top: Decodable {
            let label: Int; let terms: [(String, Double, Int)]
            init(from decoder: Decoder) throws {
                var c = try decoder.unkeyedContainer()
                label = try c.decode(Int.self)
                var list = try c.nestedUnkeyedContainer()
                var terms = [(String, Double, Int)]()
                while !list.isAtEnd {
                    var t = try list.nestedUnkeyedContainer()
                    terms.append((try t.decode(String.self), try t.decode(Double.self), try t.decode(Int.self)))
                }
                self.terms = terms
            }
        }
    }

    static func load<T: Decodable>(_ file: String) throws -> [T] {
        try JSONDecoder().decode([T].self, from: Data(contentsOf: Fixtures.url("Tests/Fixtures/clusters/\(file)")))
    }

    /// Whether two labellings are the same partition (labels renamed), −1 mapped to −1.
    static func samePartition(_ a: [Int], _ b: [Int]) -> Bool {
        guard a.count == b.count else { return false }
        var forward = [Int: Int](), backward = [Int: Int]()
        for (x, y) in zip(a, b) {
            if (x < 0) != (y < 0) { return false }
            if let f = forward[x], f != y { return false }
            if let g = backward[y], g != x { return false }
            forward[x] = y
            backward[y] = x
        }
        return true
    }

    @Test func hdbscanMatchesScikitLearnOnFixtures() throws {
        let cases: [HDBSCANCase] = try Self.load("hdbscan.json")
        #expect(cases.count >= 5)
        for c in cases {
            let (results, sampled) = HDBSCAN.cluster(NumericsKit.matrix(c.points), minClusterSizes: [c.min_cluster_size], minSamples: c.min_samples)
            #expect(sampled == c.points.count)
            #expect(Self.samePartition(results[0].labels, c.labels), "\(c.name)")
            #expect(results[0].count == Set(c.labels.filter { $0 >= 0 }).count, "\(c.name)")
        }
    }

    @Test func hdbscanNumbersClustersBySizeAndSweepsShareOneTree() throws {
        let c = try #require((try Self.load("hdbscan.json") as [HDBSCANCase]).first { $0.name == "densities" })
        let x = NumericsKit.matrix(c.points)
        let sizes = HDBSCAN.neighbouringSizes(of: c.min_cluster_size)
        let (results, _) = HDBSCAN.cluster(x, minClusterSizes: sizes, minSamples: c.min_samples)
        for (m, r) in zip(sizes, results) {
            // Each size of the sweep is the clustering that size alone gives.
            #expect(r == HDBSCAN.cluster(x, minClusterSizes: [m], minSamples: c.min_samples).results[0])
            let counts = (0..<r.count).map { id in r.labels.filter { $0 == id }.count }
            #expect(counts == counts.sorted(by: >))
        }
        #expect(sizes == [8, 11, 15, 23, 30])
    }

    @Test func hdbscanAboveTheSampleLimitLabelsEveryRowFromItsNearestSampledRow() {
        // Two far-apart blobs, 2,600 rows: HDBSCAN runs on 2,048 of them and every row is labelled.
        var rng = SeededGenerator(seed: 19)
        var rows = [[Double]]()
        for i in 0..<2600 {
            let centre = i % 2 == 0 ? -10.0 : 10.0
            rows.append((0..<3).map { _ in centre + Double.random(in: -1...1, using: &rng) })
        }
        let (results, sampled) = HDBSCAN.cluster(NumericsKit.matrix(rows), minClusterSizes: [25], minSamples: 5)
        #expect(sampled == HDBSCAN.sampleLimit)
        let labels = results[0].labels
        #expect(results[0].count == 2)
        let blobA = Set(labels.enumerated().filter { $0.offset % 2 == 0 }.map(\.element))
        let blobB = Set(labels.enumerated().filter { $0.offset % 2 == 1 }.map(\.element))
        #expect(blobA.count == 1 && blobB.count == 1 && blobA != blobB)
    }

    @Test func defaultMinClusterSize() {
        #expect(HDBSCAN.defaultMinClusterSize(rows: 10) == 5)
        #expect(HDBSCAN.defaultMinClusterSize(rows: 600) == 12)
        #expect(HDBSCAN.defaultMinClusterSize(rows: 4096) == 32)
        #expect(HDBSCAN.defaultMinClusterSize(rows: 16384) == 64)
        #expect(HDBSCAN.defaultMinClusterSize(rows: 1_000_000) == 100)
    }

    @Test func kmeansMatchesScikitLearnOnWellSeparatedFixtures() throws {
        let cases: [KMeansCase] = try Self.load("kmeans.json")
        #expect(!cases.isEmpty)
        for c in cases {
            let r = KMeans.cluster(NumericsKit.matrix(c.points), k: c.k)
            #expect(Self.samePartition(r.labels, c.labels), "\(c.name)")
            #expect(r.count == c.k)
            // Deterministic: the same seed gives the same labels.
            #expect(KMeans.cluster(NumericsKit.matrix(c.points), k: c.k) == r)
        }
    }

    @Test func agreementScoresMatchScikitLearn() throws {
        let cases: [ScoreCase] = try Self.load("scores.json")
        #expect(cases.count >= 10)
        for c in cases {
            let ami = ClusterAgreement.adjustedMutualInformation(c.a, c.b)
            let ari = ClusterAgreement.adjustedRandIndex(c.a, c.b)
            #expect(abs(ami - c.ami) <= 1e-9, "\(c.name): AMI \(ami) vs \(c.ami)")
            #expect(abs(ari - c.ari) <= 1e-9, "\(c.name): ARI \(ari) vs \(c.ari)")
        }
    }

    @Test func classTFIDFMatchesTheReference() throws {
        let cases: [TFIDFCase] = try Self.load("ctfidf.json")
        #expect(!cases.isEmpty)
        for c in cases {
            let top = ClassTFIDF.top(terms: c.tokens, classes: c.labels, limit: 5)
            for expected in c.top {
                let got = try #require(top[expected.label])
                #expect(got.map(\.text) == expected.terms.map(\.0))
                #expect(got.map(\.count) == expected.terms.map(\.2))
                #expect(zip(got.map(\.score), expected.terms.map(\.1)).allSatisfy { abs($0 - $1) <= 1e-12 })
            }
        }
    }
}
