import CLapack
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
    public enum Outcome: String, CaseIterable, Sendable { case spectral, random }

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

/// The Lanczos method with full reorthogonalisation (Golub & Van Loan, Matrix Computations, §10.1)
/// for the largest eigenpairs of a symmetric operator, restricted to the complement of a known
/// unit vector.
enum Lanczos {
    /// Converged when ‖A y − θ y‖ < 1e-4 for every wanted pair: eigenvalues of D^{-1/2} A D^{-1/2} lie in
    /// [−1, 1], and umap-learn asks ARPACK for the same relative tolerance.
    static let tolerance = 1e-4

    /// Returns an n × count matrix of Ritz vectors, the largest residual ‖A y − θ y‖ among them, and
    /// the sum of the Ritz vectors as a restart vector; nil if the start vector is degenerate.
    static func largest(_ count: Int, operator apply: ([Double]) -> [Double], n: Int, start: [Double],
                        deflating u: [Double], maxSteps: Int) -> (Matrix, Double, [Double])? {
        // The basis is kept in Float: reorthogonalisation reads all of it at every step, and it
        // only has to hold orthogonality far below the 1e-4 tolerance.
        func orthogonalise(_ w: inout [Double], against basis: [Float], rows: Int) {
            let dotU = zip(w, u).reduce(0) { $0 + $1.0 * $1.1 }
            for i in 0..<n { w[i] -= dotU * u[i] }
            guard rows > 0 else { return }
            var c = [Float](repeating: 0, count: rows)
            var correction = [Float](repeating: 0, count: n)
            // Classical Gram–Schmidt, repeated only when it cancelled most of w (the DGKS criterion,
            // Daniel, Gragg, Kaufman & Stewart 1976; "twice is enough", Parlett).
            for pass in 0..<2 {
                let before = w.reduce(0) { $0 + $1 * $1 }
                let wf = w.map { Float($0) }
                basis.withUnsafeBufferPointer { b in
                    cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(rows), Int32(n), 1, b.baseAddress!, Int32(n), wf, 1, 0, &c, 1)
                    cblas_sgemv(CblasRowMajor, CblasTrans, Int32(rows), Int32(n), 1, b.baseAddress!, Int32(n), c, 1, 0, &correction, 1)
                }
                for i in 0..<n { w[i] -= Double(correction[i]) }
                let after = w.reduce(0) { $0 + $1 * $1 }
                if pass == 0 && after > 0.5 * before { break }
            }
        }
        var v = start
        orthogonalise(&v, against: [], rows: 0)
        var beta = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        guard beta > 1e-300 else { return nil }
        v = v.map { $0 / beta }
        var basis = [Float]()  // rows of n
        var alphas = [Double](), betas = [Double]()
        var random = RandomStream(seed: 0x5EED, UInt64(n))
        for step in 0..<maxSteps {
            basis.append(contentsOf: v.lazy.map { Float($0) })
            var w = apply(v)
            let alpha = zip(w, v).reduce(0) { $0 + $1.0 * $1.1 }
            alphas.append(alpha)
            orthogonalise(&w, against: basis, rows: step + 1)
            beta = w.reduce(0) { $0 + $1 * $1 }.squareRoot()
            let m = step + 1
            if beta < 1e-10 && m < maxSteps {
                // An invariant subspace (e.g. a repeated eigenvalue, as copies of one state give):
                // carry on from a fresh direction orthogonal to everything so far, with β = 0.
                var fresh = (0..<n).map { _ in random.normal() }
                orthogonalise(&fresh, against: basis, rows: m)
                let norm = fresh.reduce(0) { $0 + $1 * $1 }.squareRoot()
                if norm > 1e-8 {
                    w = fresh.map { $0 / norm }
                    beta = 0
                }
            }
            let exhausted = m == maxSteps || (beta < 1e-10 && w.allSatisfy { abs($0) < 1e-8 })
            if m >= count && (m % 10 == 0 && beta > 0 || exhausted) {
                let s = largestOfTridiagonal(count, diagonal: alphas, offDiagonal: Array(betas.prefix(m - 1)))  // count x m
                let residual = (0..<count).map { abs(beta * s[$0, m - 1]) }.max() ?? 0
                if residual < tolerance || exhausted {
                    var y = Matrix(rows: n, cols: count)
                    var restart = [Double](repeating: 0, count: n)
                    basis.withUnsafeBufferPointer { b in
                        for a in 0..<count {
                            for r in 0..<m {
                                let coefficient = s[a, r]
                                for i in 0..<n { y[i, a] += coefficient * Double(b[r * n + i]) }
                            }
                            for i in 0..<n { restart[i] += y[i, a] }
                        }
                    }
                    // The Float basis leaves the Ritz vectors orthonormal to ~1e-8: restore it in
                    // Double (against the deflated vector, then each other).
                    for a in 0..<count {
                        var column = (0..<n).map { y[$0, a] }
                        orthogonalise(&column, against: [], rows: 0)
                        for b in 0..<a {
                            let overlap = (0..<n).reduce(0) { $0 + column[$1] * y[$1, b] }
                            for i in 0..<n { column[i] -= overlap * y[i, b] }
                        }
                        let norm = column.reduce(0) { $0 + $1 * $1 }.squareRoot()
                        for i in 0..<n { y[i, a] = norm > 0 ? column[i] / norm : 0 }
                    }
                    return (y, residual, restart)
                }
            }
            if exhausted { break }
            betas.append(beta)
            v = beta > 0 ? w.map { $0 / beta } : w
        }
        return nil
    }
}

extension Lanczos {
    /// The unit eigenvectors (rows of a count × m matrix, largest eigenvalue first) of the symmetric
    /// tridiagonal matrix with this diagonal and off-diagonal, by LAPACK's `dstevr`.
    static func largestOfTridiagonal(_ count: Int, diagonal: [Double], offDiagonal: [Double]) -> Matrix {
        let m = diagonal.count
        var d = diagonal, e = offDiagonal + [0]
        var found: Int32 = 0
        var w = [Double](repeating: 0, count: m)
        var z = [Double](repeating: 0, count: m * count)
        var support = [Int32](repeating: 0, count: 2 * m)
        let info = LAPACKE_dstevr(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "V")), CChar(UInt8(ascii: "I")), Int32(m), &d, &e,
                                  0, 0, Int32(m - count + 1), Int32(m), 0, &found, &w, &z, Int32(count), &support)
        precondition(info == 0 && Int(found) == count, "LAPACKE_dstevr failed with info \(info)")
        // dstevr returns ascending eigenvalues in the columns of z.
        var vectors = Matrix(rows: count, cols: m)
        for a in 0..<count { for r in 0..<m { vectors[a, r] = z[r * count + (count - 1 - a)] } }
        return vectors
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
