import Foundation
import Testing
@testable import ForkscopeNumerics

/// SpectralLayout and Lanczos (Sources/ForkscopeNumerics/UMAP/SpectralLayout.swift).
@Suite("UMAP spectral layout")
struct UMAPSpectralLayoutTests {
    typealias K = NumericsKit
    typealias U = UMAPKit

    /// The normalised Laplacian L = I − D^{-1/2} W D^{-1/2}, dense.
    static func laplacian(_ g: SparseGraph) -> Matrix {
        let w = U.dense(g)
        let degree = w.map { $0.reduce(0, +) }
        var l = Matrix(rows: g.n, cols: g.n)
        for i in 0..<g.n { for j in 0..<g.n { l[i, j] = (i == j ? 1 : 0) - w[i][j] / (degree[i] * degree[j]).squareRoot() } }
        return l
    }

    /// Checks what `eigenvectors` promises besides the subspace: orthonormal columns orthogonal to
    /// D^{1/2}·1, each with its largest-magnitude entry positive.
    static func checkShape(_ v: Matrix, graph: SparseGraph, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(v.rows == graph.n && v.cols == 2, sourceLocation: sourceLocation)
        let cols = (0..<2).map { a in (0..<v.rows).map { v[$0, a] } }
        let sqrtDegree = U.dense(graph).map { $0.reduce(0, +).squareRoot() }
        for a in 0..<2 {
            #expect(abs(K.norm(cols[a]) - 1) < 1e-9, "column \(a) norm \(K.norm(cols[a]))", sourceLocation: sourceLocation)
            #expect(abs(K.dot(cols[a], sqrtDegree)) / K.norm(sqrtDegree) < 1e-9, "column \(a) not orthogonal to D^1/2 1", sourceLocation: sourceLocation)
            let peak = cols[a].max { abs($0) < abs($1) }!
            #expect(peak > 0, "column \(a): largest-magnitude entry \(peak) is negative", sourceLocation: sourceLocation)
        }
        #expect(abs(K.dot(cols[0], cols[1])) < 1e-9, sourceLocation: sourceLocation)
    }

    /// scipy's eigsh on the normalised Laplacian of umap-learn's graph of "blobs" (eigenvalues 0,
    /// 0.051, 0.157, then 0.497): the 2nd and 3rd eigenvectors span the same plane as ours, both on
    /// umap-learn's float32 graph and on the graph Swift builds from the same kNN.
    @Test("spectral subspace matches scipy's eigsh", arguments: [false, true])
    func matchesScipy(swiftGraph: Bool) throws {
        let reference = try U.reference()
        let c = try #require(reference.cases["blobs"])
        let graph = swiftGraph ? FuzzySimplicialSet.build(U.neighbourGraph(c)) : U.sparseGraph(c)
        #expect(graph.components().count == 1)
        let v = try #require(SpectralLayout.eigenvectors(graph, seed: 42))
        Self.checkShape(v, graph: graph)
        let distance = U.subspaceDistance(v, K.matrix(reference.spectral.vectors))
        #expect(distance < 1e-3, "subspace distance \(distance)")
        // The Rayleigh quotients sum to λ2 + λ3 (the error is second order in the subspace's).
        let lv = K.product(Self.laplacian(graph), v)
        let trace = (0..<2).reduce(0.0) { s, a in s + (0..<v.rows).reduce(0.0) { $0 + v[$1, a] * lv[$1, a] } }
        let want = reference.spectral.eigenvalues[1] + reference.spectral.eigenvalues[2]
        #expect(abs(trace - want) < 1e-6, "trace \(trace) vs \(want)")
    }

    /// The seed only picks Lanczos's start vector: the plane is the same for any seed.
    @Test func seedDoesNotChangeTheSubspace() throws {
        let c = try U.referenceCase("blobs")
        let graph = U.sparseGraph(c)
        let a = try #require(SpectralLayout.eigenvectors(graph, seed: 1))
        let b = try #require(SpectralLayout.eigenvectors(graph, seed: 99))
        #expect(U.subspaceDistance(a, b) < 1e-3)
    }

    /// A connected graph is laid out by its eigenvectors alone.
    @Test func connectedLayoutIsTheEigenvectors() throws {
        let graph = U.sparseGraph(try U.referenceCase("blobs"))
        let (layout, outcome) = SpectralLayout.layout(graph, data: Matrix(rows: graph.n, cols: 1), seed: 5)
        #expect(outcome == .spectral)
        #expect(layout == SpectralLayout.eigenvectors(graph, seed: 5))
    }

    /// The path 0 − 1 − … − (n−1) with unit weights: D^{-1}W has eigenvectors f_j(i) = cos(π j i/(n−1))
    /// with eigenvalues cos(π j/(n−1)), all distinct, so the wanted plane is spanned by D^{1/2} f_1
    /// and D^{1/2} f_2 (endpoints have degree 1, the rest 2).
    @Test func pathGraph() throws {
        let n = 30
        let graph = U.graph(n: n, edges: (0..<(n - 1)).map { ($0, $0 + 1, 1.0) })
        var want = Matrix(rows: n, cols: 2)
        for i in 0..<n {
            let degree: Double = i == 0 || i == n - 1 ? 1 : 2
            for j in 1...2 { want[i, j - 1] = degree.squareRoot() * cos(Double.pi * Double(j * i) / Double(n - 1)) }
        }
        let v = try #require(SpectralLayout.eigenvectors(graph, seed: 3))
        Self.checkShape(v, graph: graph)
        let distance = U.subspaceDistance(v, want)
        #expect(distance < 1e-3, "subspace distance \(distance)")
    }

    /// Two clusters too far apart for any kNN edge between them: components on (1, 0) and (−1, 0),
    /// each its own spectral layout scaled so its largest |coordinate| is half the distance between
    /// the centres (1), as umap-learn's multi_component_layout does: the components do not overlap.
    @Test func disconnectedComponentsAreSeparated() throws {
        let (x, labels) = U.clustered(clusters: 2, perCluster: 40, dims: 6, separation: 20, seed: 17)
        let fuzzy = FuzzySimplicialSet.build(ExactNeighbours.search(x, k: 15, metric: .euclidean, threads: 1))
        let (count, componentLabels) = fuzzy.components()
        #expect(count == 2 && componentLabels == labels)
        let (layout, outcome) = SpectralLayout.layout(fuzzy, data: x, seed: 11)
        #expect(outcome == .spectral)
        let first = (0..<40).map { layout[$0, 0] }, second = (40..<80).map { layout[$0, 0] }
        #expect(first.min()! >= 0 && second.max()! <= 0, "x ranges \(first.min()!)...\(first.max()!) and \(second.min()!)...\(second.max()!)")
        #expect(first.min()! > second.max()!, "the components touch")
        for (c, rows) in [Array(0..<40), Array(40..<80)].enumerated() {
            let centre: [Double] = c == 0 ? [1, 0] : [-1, 0]
            let local = Matrix(rows: rows.count, cols: 2, storage: rows.flatMap { [layout[$0, 0] - centre[0], layout[$0, 1] - centre[1]] })
            let peak = local.storage.map(abs).max()!
            #expect(abs(peak - 1) < 1e-12, "component \(c) largest |coordinate| \(peak)")
            // Each component's own spectral layout, scaled.
            let own = try #require(SpectralLayout.eigenvectors(fuzzy.subgraph(rows), seed: 11 &+ UInt64(c)))
            let ownPeak = own.storage.map(abs).max()!
            #expect(K.maxAbsDifference(local, Matrix(rows: own.rows, cols: 2, storage: own.storage.map { $0 / ownPeak })) < 1e-12)
            // A real layout, not collapsed: both axes spread.
            for a in 0..<2 {
                let values = (0..<local.rows).map { local[$0, a] }
                #expect(values.max()! - values.min()! > 0.1, "component \(c) axis \(a) collapsed")
            }
        }
    }

    /// A component of fewer than 4 points is placed uniformly at random within half the distance to
    /// its nearest neighbour component, around its centre.
    @Test func tinyComponentIsPlacedAroundItsCentre() {
        var edges = [(Int, Int, Double)]()
        for i in 0..<20 { edges.append((i, (i + 1) % 20, 1)); edges.append((i, (i + 3) % 20, 0.5)) }
        edges += [(20, 21, 1), (21, 22, 1)]
        let graph = U.graph(n: 23, edges: edges)
        let (layout, _) = SpectralLayout.layout(graph, data: Matrix(rows: 23, cols: 1), seed: 4)
        for t in 20..<23 {
            #expect(abs(layout[t, 0] + 1) <= 1 && abs(layout[t, 1]) <= 1, "point \(t) at (\(layout[t, 0]), \(layout[t, 1]))")
        }
        #expect(Set((20..<23).map { layout[$0, 0] }).count == 3, "the tiny component's points coincide")
        for t in 0..<20 { #expect(layout[t, 0] >= 0) }
    }

    /// Up to four components go to ±unit axes; more to the PCA of their centroids scaled to 1.
    @Test func metaLayout() {
        let three = SpectralLayout.metaLayout(members: [[0], [1], [2]], data: Matrix(rows: 3, cols: 1))
        #expect(three.storage == [1, 0, 0, 1, -1, 0])
        let four = SpectralLayout.metaLayout(members: [[0], [1], [2], [3]], data: Matrix(rows: 4, cols: 1))
        #expect(four.storage == [1, 0, 0, 1, -1, 0, 0, -1])
        // Five centroids on a line: PCA puts them on the first axis, the largest at ±1.
        let data = K.matrix([[0, 0], [1, 1], [2, 2], [3, 3], [8, 8]])
        let five = SpectralLayout.metaLayout(members: (0..<5).map { [$0] }, data: data)
        let xs = (0..<5).map { five[$0, 0] }
        #expect(xs.map(abs).max()! == 1)
        #expect((0..<5).allSatisfy { abs(five[$0, 1]) < 1e-12 })
        #expect(zip(xs, xs.dropFirst()).allSatisfy { $0 < $1 } || zip(xs, xs.dropFirst()).allSatisfy { $0 > $1 })
    }

    // MARK: Lanczos

    /// A diagonal operator with known top eigenpairs, deflating e_0.
    @Test func lanczosOnADiagonalOperator() throws {
        let n = 50
        var diagonal = (0..<n).map { Double($0 % 7) * 0.2 }
        diagonal[0] = 5; diagonal[17] = 3; diagonal[31] = 2.5
        var e0 = [Double](repeating: 0, count: n); e0[0] = 1
        var rng = RandomStream(seed: 1, 2)
        let start = (0..<n).map { _ in rng.normal() }
        let (y, residual, _) = try #require(Lanczos.largest(2, operator: { x in zip(x, diagonal).map { $0 * $1 } }, n: n,
                                                            start: start, deflating: e0, maxSteps: n - 1))
        #expect(residual < Lanczos.tolerance)
        #expect(abs(abs(y[17, 0]) - 1) < 1e-6, "first Ritz vector \(abs(y[17, 0]))")
        #expect(abs(abs(y[31, 1]) - 1) < 1e-6, "second Ritz vector \(abs(y[31, 1]))")
        #expect(abs(y[0, 0]) < 1e-12 && abs(y[0, 1]) < 1e-12, "the deflated direction leaks in")
    }
}
