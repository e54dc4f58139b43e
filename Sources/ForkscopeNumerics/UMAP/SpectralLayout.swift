import Foundation

/// umap-learn's spectral initialisation: the eigenvectors of the normalised graph Laplacian
/// L = I − D^{-1/2} A D^{-1/2} with the 2nd and 3rd smallest eigenvalues (the smallest belongs to
/// D^{1/2}·1), found here as the largest eigenvectors of D^{-1/2} A D^{-1/2} orthogonal to D^{1/2}·1
/// by Lanczos with full reorthogonalisation (umap-learn calls ARPACK's `eigsh` for the same pairs).
///
/// A disconnected graph is laid out component by component as umap-learn's
/// `multi_component_layout` does: components sit on the ± unit axes (up to four of them) or, with
/// more, at the PCA of their centroids scaled to unit size (umap-learn embeds the centroids
/// spectrally instead); each gets its own spectral layout shrunk to half the distance to its
/// nearest neighbour component, and components of fewer than 4 points are placed at random there.
public enum SpectralLayout {
    public enum Outcome: String, CaseIterable, Sendable, Codable { case spectral, random }

    static let dim = 2

    /// An n × 2 layout of the graph, and whether it is spectral or, when the eigensolver failed to
    /// converge, uniform on [−10, 10] as umap-learn falls back to.
    public static func layout(_ graph: SparseGraph, data: Matrix, seed: UInt64) -> (Matrix, Outcome) {
        var rng = RandomStream(seed: seed, 3)
        let (count, labels) = graph.components()
        if count == 1 {
            if let coords = eigenvectors(graph, seed: seed) { return (coords, .spectral) }
            return (randomLayout(graph.n, rng: &rng), .random)
        }
        let members = (0..<count).map { c in labels.indices.filter { labels[$0] == c } }
        let meta = metaLayout(members: members, data: data)
        var result = Matrix(rows: graph.n, cols: dim)
        var allSpectral = true
        for (c, rows) in members.enumerated() {
            var nearest = Double.infinity
            for o in 0..<count where o != c {
                let dist = ((meta[c, 0] - meta[o, 0]) * (meta[c, 0] - meta[o, 0]) + (meta[c, 1] - meta[o, 1]) * (meta[c, 1] - meta[o, 1])).squareRoot()
                if dist > 0 { nearest = min(nearest, dist) }
            }
            let range = nearest.isFinite ? nearest / 2 : 1
            var coords: Matrix? = nil
            if rows.count >= 2 * dim && rows.count > dim + 1 {
                coords = eigenvectors(graph.subgraph(rows), seed: seed &+ UInt64(c))
                if coords == nil { allSpectral = false }
            }
            if var local = coords {
                let peak = local.storage.map(abs).max() ?? 0
                let expansion = peak > 0 ? range / peak : 0
                for e in local.storage.indices { local.storage[e] *= expansion }
                for (r, t) in rows.enumerated() { for a in 0..<dim { result[t, a] = local[r, a] + meta[c, a] } }
            } else {
                for t in rows { for a in 0..<dim { result[t, a] = (rng.uniform() * 2 - 1) * range + meta[c, a] } }
            }
        }
        return (result, allSpectral ? .spectral : .random)
    }

    /// n points uniform on [−10, 10]²: umap-learn's random start and its fallback when the
    /// eigensolver fails.
    static func randomLayout(_ n: Int, rng: inout RandomStream) -> Matrix {
        Matrix(rows: n, cols: dim, storage: (0..<(n * dim)).map { _ in rng.uniform() * 20 - 10 })
    }

    /// Where each component goes: the ± unit axes for up to 2 · dim components, otherwise the PCA of
    /// the component centroids divided by its largest coordinate.
    static func metaLayout(members: [[Int]], data: Matrix) -> Matrix {
        let count = members.count
        var meta = Matrix(rows: count, cols: dim)
        if count <= 2 * dim {
            let half = (count + 1) / 2
            for c in 0..<count { meta[c, c % half] = c < half ? 1 : -1 }
            return meta
        }
        var centroids = Matrix(rows: count, cols: data.cols)
        for (c, rows) in members.enumerated() {
            for t in rows { for j in 0..<data.cols { centroids[c, j] += data[t, j] / Double(rows.count) } }
        }
        let scores = PCA(fitting: centroids, components: dim).scores
        let peak = scores.storage.map(abs).max() ?? 0
        for c in 0..<count { for a in 0..<min(dim, scores.cols) { meta[c, a] = peak > 0 ? scores[c, a] / peak : 0 } }
        return meta
    }

    /// The two leading non-trivial eigenvectors (n × 2, each with its largest-magnitude entry
    /// positive) of a connected graph, or nil if Lanczos did not converge.
    static func eigenvectors(_ graph: SparseGraph, seed: UInt64) -> Matrix? {
        let n = graph.n
        guard n > dim + 1 else { return nil }
        let scale = (0..<n).map { i in 1 / graph.row(i).reduce(0) { $0 + graph.weights[$1] }.squareRoot() }
        var trivial = scale.map { 1 / $0 }
        let norm = trivial.reduce(0) { $0 + $1 * $1 }.squareRoot()
        trivial = trivial.map { $0 / norm }
        let operation = { (x: [Double]) -> [Double] in
            var y = [Double](repeating: 0, count: n)
            for i in 0..<n {
                var s = 0.0
                for e in graph.row(i) { s += graph.weights[e] * x[graph.columns[e]] * scale[graph.columns[e]] }
                y[i] = s * scale[i]
            }
            return y
        }
        var rng = RandomStream(seed: seed, 4)
        var start = (0..<n).map { _ in rng.normal() }
        var vectors: Matrix? = nil
        for _ in 0..<4 {
            guard let (found, residual, ritz) = Lanczos.largest(dim, operator: operation, n: n, start: start,
                                                                deflating: trivial, maxSteps: min(n - 1, 400)) else { return nil }
            vectors = found
            if residual < Lanczos.tolerance { break }
            start = ritz
        }
        guard var v = vectors else { return nil }
        for a in 0..<dim {
            let peak = (0..<n).max { abs(v[$0, a]) < abs(v[$1, a]) }!
            if v[peak, a] < 0 { for i in 0..<n { v[i, a] = -v[i, a] } }
        }
        return v
    }
}

extension SparseGraph {
    /// The graph induced on `rows` (renumbered in their order).
    func subgraph(_ rows: [Int]) -> SparseGraph {
        var position = [Int: Int]()
        for (r, t) in rows.enumerated() { position[t] = r }
        var triples = [(Int, Int, Double)]()
        for (r, t) in rows.enumerated() {
            for e in row(t) { if let c = position[columns[e]] { triples.append((r, c, weights[e])) } }
        }
        return SparseGraph(n: rows.count, triples: triples)
    }
}
