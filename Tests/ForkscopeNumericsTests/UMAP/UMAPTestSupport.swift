import Foundation
import Testing
import ForkscopeTestSupport
@testable import ForkscopeNumerics

/// Helpers shared by the UMAP and Procrustes tests: the umap-learn / scipy reference
/// (Tests/Fixtures/umap/reference.json, written by Tests/Fixtures/umap_reference.py) and seeded
/// synthetic inputs.
enum UMAPKit {
    typealias K = NumericsKit

    // MARK: - Reference

    static var referenceURL: URL { Fixtures.url("Tests/Fixtures/umap/reference.json") }

    struct Reference: Decodable, Sendable {
        struct Triplets: Decodable, Sendable { let rows: [Int]; let cols: [Int]; let vals: [Double] }
        struct Case: Decodable, Sendable {
            let data: [[Double]]
            let knnIndices: [[Int]]
            let knnDists: [[Double]]
            let sigmas: [Double]
            let rhos: [Double]
            let graph: Triplets
            let components: Int
        }
        struct Spectral: Decodable, Sendable {
            let eigenvalues: [Double]
            /// n rows of 2.
            let vectors: [[Double]]
        }
        struct AB: Decodable, Sendable { let spread: Double; let minDist: Double; let a: Double; let b: Double }
        struct ProcrustesCase: Decodable, Sendable {
            let moving: [[Double]]
            let target: [[Double]]
            let rotation: [[Double]]
            let aligned: [[Double]]
        }
        let versions: [String: String]
        let k: Int
        let cases: [String: Case]
        let spectral: Spectral
        let ab: [AB]
        let procrustes: ProcrustesCase
    }

    static func reference(sourceLocation: SourceLocation = #_sourceLocation) throws -> Reference {
        let url = referenceURL
        guard FileManager.default.fileExists(atPath: url.path) else {
            Issue.record("\(url.path) is missing: write it with `python3 Tests/Fixtures/umap_reference.py`", sourceLocation: sourceLocation)
            throw CocoaError(.fileNoSuchFile)
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(Reference.self, from: Data(contentsOf: url))
    }

    static func referenceCase(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Reference.Case {
        let reference = try reference(sourceLocation: sourceLocation)
        return try #require(reference.cases[name], "no case \(name) in reference.json", sourceLocation: sourceLocation)
    }

    /// umap-learn's exact kNN of a reference case as a NeighbourGraph.
    static func neighbourGraph(_ c: Reference.Case) -> NeighbourGraph {
        let k = c.knnIndices.first?.count ?? 0
        return NeighbourGraph(k: k, indices: c.knnIndices.flatMap { $0 }, distances: c.knnDists.flatMap { $0 })
    }

    /// umap-learn's fuzzy graph of a reference case as a SparseGraph.
    static func sparseGraph(_ c: Reference.Case) -> SparseGraph {
        let g = c.graph
        return SparseGraph(n: c.data.count, triples: (0..<g.rows.count).map { (g.rows[$0], g.cols[$0], g.vals[$0]) })
    }

    static func dense(_ g: SparseGraph) -> [[Double]] {
        var out = [[Double]](repeating: [Double](repeating: 0, count: g.n), count: g.n)
        for i in 0..<g.n { for e in g.row(i) { out[i][g.columns[e]] = g.weights[e] } }
        return out
    }

    // MARK: - Synthetic inputs

    /// `clusters` Gaussian clusters of `perCluster` points in `dims` dimensions: centres with
    /// coordinates N(0, separation²), points centre + N(0, 1). Rows are grouped by cluster.
    static func clustered(clusters: Int, perCluster: Int, dims: Int, separation: Double, seed: UInt64) -> (x: Matrix, labels: [Int]) {
        let centres = K.gaussian(rows: clusters, cols: dims, seed: seed)
        let noise = K.gaussian(rows: clusters * perCluster, cols: dims, seed: seed &+ 1)
        var x = Matrix(rows: clusters * perCluster, cols: dims)
        var labels = [Int]()
        for c in 0..<clusters {
            for p in 0..<perCluster {
                let r = c * perCluster + p
                for j in 0..<dims { x[r, j] = separation * centres[c, j] + noise[r, j] }
                labels.append(c)
            }
        }
        return (x, labels)
    }

    /// A SparseGraph from undirected weighted edges (each stored both ways).
    static func graph(n: Int, edges: [(Int, Int, Double)]) -> SparseGraph {
        SparseGraph(n: n, triples: edges.flatMap { [($0.0, $0.1, $0.2), ($0.1, $0.0, $0.2)] })
    }

    // MARK: - Measures

    /// Fraction of the non-self neighbours of `approximate` that are among those of `exact`.
    static func recall(_ approximate: NeighbourGraph, _ exact: NeighbourGraph) -> Double {
        precondition(approximate.k == exact.k && approximate.count == exact.count)
        var hits = 0
        for i in 0..<exact.count {
            let truth = Set(exact.neighbours(of: i).dropFirst())
            hits += approximate.neighbours(of: i).dropFirst().filter { truth.contains($0) }.count
        }
        return Double(hits) / Double(exact.count * (exact.k - 1))
    }

    /// ‖(I − P_A) Q_B‖_F with P_A the orthogonal projector onto the column span of `a` and Q_B an
    /// orthonormal basis of the span of `b`: 0 for equal subspaces, between sin θ_max and
    /// √2 · sin θ_max (θ the principal angles) otherwise. Blind to signs and rotations within the span.
    static func subspaceDistance(_ a: Matrix, _ b: Matrix) -> Double {
        let qa = K.orthonormalColumns(a), qb = K.orthonormalColumns(b)
        guard qa.cols == qb.cols else { return .infinity }
        let residual = K.sum(qb, K.product(qa, K.product(K.transpose(qa), qb)), scale: -1)
        return K.frobenius(residual)
    }

    /// Mean of the rows of `x` listed in `rows`.
    static func centroid(_ x: Matrix, rows: [Int]) -> [Double] {
        var c = [Double](repeating: 0, count: x.cols)
        for r in rows { for j in 0..<x.cols { c[j] += x[r, j] / Double(rows.count) } }
        return c
    }

    static func distance(_ a: [Double], _ b: [Double]) -> Double { K.norm(zip(a, b).map { $0 - $1 }) }
}
