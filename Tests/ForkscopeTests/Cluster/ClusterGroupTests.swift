import Foundation
import Testing
import ForkscopeNumerics
import ForkscopeTestSupport
@testable import Forkscope

/// What each cluster is made of, against the NumPy reference on a planted case
/// (Tests/Fixtures/clusters/summary.json, written by make_cluster_fixtures.py): sizes, position
/// ranges and histograms, root and branch shares, c-TF-IDF top tokens, labels and exemplars.
struct ClusterGroupTests {
    struct Case: Decodable {
        let points: [[Double]]
        let labels: [Int]
        let positions: [Int]
        let roots: [String]
        let branches: [String]
        let tokens: [String]
        let token_index: [Int]
        let expected: [Expected]
    }

    struct Expected: Decodable {
        struct Positions: Decodable { let min: Int; let max: Int; let histogram: [Int] }
        struct RootShare: Decodable { let root: String; let share: Double }
        struct BranchShare: Decodable { let branch: String; let share: Double }
        struct Top: Decodable { let token: String; let score: Double; let count: Int }
        struct Exemplar: Decodable { let branch: String; let token_index: Int; let position: Int; let token: String }
        let id: Int
        let size: Int
        let label: String
        let positions: Positions
        let roots: [RootShare]
        let branches: [BranchShare]
        let top_tokens: [Top]
        let exemplars: [Exemplar]
    }

    @Test func summariesMatchTheReference() throws {
        let c = try JSONDecoder().decode(Case.self, from: Data(contentsOf: Fixtures.url("Tests/Fixtures/clusters/summary.json")))
        let rootNames = Set(c.roots).sorted(), branchIDs = Set(c.branches).sorted()
        let run = RunTokens(texts: c.tokens, positions: c.positions, branches: c.branches.map { branchIDs.firstIndex(of: $0)! },
                            roots: c.roots.map { rootNames.firstIndex(of: $0)! }, branchIDs: branchIDs, rootNames: rootNames)
        let unit = Matrix(rows: c.points.count, cols: c.points[0].count, storage: c.points.flatMap { $0 })
        let (groups, _) = ClusterGroup.summaries(labels: c.labels, unit: unit, tokens: Array(c.points.indices), run: run)
        #expect(groups.map(\.id) == c.expected.map(\.id))
        for (g, e) in zip(groups, c.expected) {
            #expect(g.size == e.size && g.kind.rawValue == e.label, "cluster \(e.id): \(g.kind) vs \(e.label)")
            #expect(g.positionRange == e.positions.min...e.positions.max && g.histogram == e.positions.histogram, "cluster \(e.id)")
            #expect(g.roots.map(\.name) == e.roots.map(\.root) && zip(g.roots, e.roots).allSatisfy { abs($0.share - $1.share) < 1e-12 })
            #expect(g.branches.map(\.name) == e.branches.map(\.branch) && zip(g.branches, e.branches).allSatisfy { abs($0.share - $1.share) < 1e-12 })
            #expect(g.topTokens.map(\.text) == e.top_tokens.map(\.token) && g.topTokens.map(\.count) == e.top_tokens.map(\.count), "cluster \(e.id)")
            #expect(zip(g.topTokens, e.top_tokens).allSatisfy { abs($0.score - $1.score) < 1e-12 })
            #expect(g.exemplars.map { c.branches[$0] } == e.exemplars.map(\.branch), "cluster \(e.id)")
            #expect(g.exemplars.map { c.token_index[$0] } == e.exemplars.map(\.token_index))
            #expect(g.exemplars.map { c.tokens[$0] } == e.exemplars.map(\.token))
        }
        #expect(Set(c.expected.map(\.label)).isSuperset(of: ["position", "content", "token", "unclustered"]), "the fixture plants every kind")
    }

    @Test func percentilesAndDecilesFollowNumPy() {
        // np.quantile([0, 1, 2, …, 9], 0.1…0.9) and its searchsorted(side="right").
        let positions = Array(0..<10)
        #expect(ViewClusters.deciles(positions) == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
        #expect(ClusterGroup.percentile([0, 0, 0, 4, 4, 4], 0.5) == 2)
        #expect(ClusterGroup.percentile([3], 0.9) == 3)
        #expect(ViewClusters.deciles([5, 5, 5, 5]) == [9, 9, 9, 9])
    }
}
