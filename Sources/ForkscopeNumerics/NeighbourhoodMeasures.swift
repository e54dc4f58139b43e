import CKernels
import CLapack

/// The neighbourhood measures of one view in a single pass over its distances: each query row's
/// nearest neighbours by cosine distance (for kNN purity) and the trustworthiness of any number
/// of 2-D layouts of the same rows.
///
/// Every query's neighbours and ranks are taken among *all* rows; above `queryLimit` rows only an
/// even spread of `queryLimit` rows are queries (`queries(count:)`), so the cost is O(m·n·d)
/// rather than O(n²·d). With every row a query the results are the exact measures.
///
/// Distances come from one Float GEMM per block of queries (BLAS-3), then every decision that
/// Float rounding could change is taken on exact Double distances: a row's cosine neighbours from
/// the candidates within the rounding bound of its k-th, a rank from the rows within the bound of
/// the ranked row. The results are those of exact Double distances under the tie rule of
/// `Neighbours` (distances chaining within the tolerance count as tied and go by lower index);
/// where a chain of ties could reach past the refined rows, the row is recomputed exactly.
public struct NeighbourhoodMeasures: Sendable {
    /// Queries above this many rows are an even spread of this many.
    public static let queryLimit = 4096

    /// The query rows for `n` rows: all of them up to `limit`, else rows ⌊i·n/m⌋ for i < m = limit
    /// (an even spread in run order, so every branch is represented in proportion).
    public static func queries(count n: Int, limit: Int = queryLimit) -> [Int] {
        let m = min(n, max(limit, 1))
        return (0..<m).map { $0 * n / m }
    }

    public let queries: [Int]
    /// Each query's k nearest other rows by cosine distance, nearest first.
    public let cosineNeighbours: [[Int]]
    /// Each query's k nearest rows by cosine distance among those whose `otherGroup` label differs
    /// from its own (fewer where fewer rows qualify), under the same tie rule; empty without labels.
    public let otherGroupNeighbours: [[Int]]
    /// Trustworthiness of each layout over the queries (nil unless 1 ≤ k < n/2):
    /// 1 − 2/(m·k·(2n − 3k − 1)) Σ_{i ∈ queries} Σ_{j ∈ Uₖ(i)} (r(i, j) − k), Venna & Kaski (2001)
    /// averaged over m queries instead of all n rows.
    public let trustworthiness: [Double?]

    /// - Parameter otherGroup: a label per row, if each query's nearest rows under other labels
    ///   are wanted too (`otherGroupNeighbours`).
    public init(input x: Matrix, layouts: [Matrix], k: Int, queries: [Int], otherGroup: [Int]? = nil, threads: Int = 1) {
        let n = x.rows
        precondition(layouts.allSatisfy { $0.rows == n } && (otherGroup?.count ?? n) == n)
        self.queries = queries
        let kCosine = min(k, n - 1)
        let trusted = k >= 1 && Double(k) < Double(n) / 2
        guard n >= 2, !queries.isEmpty else {
            cosineNeighbours = queries.map { _ in [] }
            otherGroupNeighbours = otherGroup == nil ? [] : queries.map { _ in [] }
            trustworthiness = layouts.map { _ in nil }
            return
        }
        let rows = FloatRows(x)
        var neighbours = [[Int]](repeating: [], count: queries.count)
        var crossing = [[Int]](repeating: [], count: otherGroup == nil ? 0 : queries.count)
        // Rows per label, so that a query's count of rows under other labels is n minus its own.
        var labelCounts = [Int: Int]()
        for label in otherGroup ?? [] { labelCounts[label, default: 0] += 1 }
        var penalties = [Double](repeating: 0, count: queries.count * layouts.count)
        // With every row a query, all products at once by the symmetric rank-k update (half the
        // flops of the blocks' general products); else per block of queries.
        let gram = queries.elementsEqual(0..<n) ? rows.gram() : nil
        let blocks = ParallelChunks.ranges(queries.count, size: 256)
        neighbours.withUnsafeMutableBufferPointer { nb in
          crossing.withUnsafeMutableBufferPointer { cross in
            penalties.withUnsafeMutableBufferPointer { pen in
                ParallelChunks.run(chunks: blocks.count, threads: threads) { chunk in
                    let block = blocks[chunk]
                    let products = gram == nil ? rows.products(block.map { queries[$0] }) : []
                    let scratch = UnsafeMutablePointer<Int>.allocate(capacity: n)
                    defer { scratch.deallocate() }
                    for (b, q) in block.enumerated() {
                        let i = queries[q]
                        let row = QueryRow(rows: rows, i: i, products: gram?[(i * n)..<((i + 1) * n)] ?? products[(b * n)..<((b + 1) * n)])
                        if kCosine > 0 { nb[q] = row.cosineNeighbours(kCosine) }
                        if let labels = otherGroup {
                            let own = labels[i], kOther = min(k, n - labelCounts[own]!)
                            if kOther > 0 { cross[q] = row.cosineNeighbours(kOther) { labels[$0] != own } }
                        }
                        guard trusted else { continue }
                        let cutoff = row.squaredCutoff(k)
                        for (l, layout) in layouts.enumerated() {
                            var penalty = 0
                            for j in Neighbours.nearest(layout, of: i, k: k, metric: .euclidean) where row.squared[j] > cutoff {
                                let rank = row.euclideanRank(of: j, scratch: scratch)
                                if rank > k { penalty += rank - k }
                            }
                            pen[q * layouts.count + l] = Double(penalty)
                        }
                    }
                }
            }
          }
        }
        cosineNeighbours = neighbours
        otherGroupNeighbours = crossing
        let m = Double(queries.count), nd = Double(n), kd = Double(k)
        trustworthiness = layouts.indices.map { l in
            guard trusted else { return nil }
            let total = queries.indices.reduce(0.0) { $0 + penalties[$1 * layouts.count + l] }
            return 1 - total * 2 / (m * kd * (2 * nd - 3 * kd - 1))
        }
    }
}

/// The rows centred and rounded to Float for the GEMM, with what the exact refinement needs.
private struct FloatRows {
    let x: Matrix
    let n: Int, d: Int
    /// Centred rows in Float, n × d: Euclidean distances do not depend on the origin, and centring
    /// keeps ‖a‖² + ‖b‖² − 2a·b from cancelling when the rows share a large mean.
    let centred: [Float]
    /// ‖x − μ‖², μ·(x − μ) and ‖x‖ of every row (Double; ‖x‖ is 0 for a row counted as zero), and ‖μ‖².
    let centredSquares: [Double], meanDots: [Double], norms: [Double]
    let meanSquare: Double
    /// max ‖x − μ‖ and max ‖x − μ‖/‖x‖ over rows, for the rounding bounds.
    let largestCentred: Double, largestRatio: Double
    /// Rounding of a Float dot product of d terms, relative to the product of the norms: (d + 3)u
    /// covers rounding the rows, the d-term sum (Higham, *Accuracy and Stability*, §3.1) and the
    /// result, whatever order BLAS sums in.
    let dotError: Double

    init(_ x: Matrix) {
        self.x = x
        n = x.rows; d = x.cols
        let mean = x.columnMeans()
        let (n, d) = (self.n, self.d)
        var values = [Float](repeating: 0, count: n * d)
        var squares = [Double](repeating: 0, count: n), dots = squares, lengths = squares
        x.storage.withUnsafeBufferPointer { s in
            for r in 0..<n {
                var sq = 0.0, dot = 0.0, norm = 0.0
                for c in 0..<d {
                    let v = s[r * d + c], y = v - mean[c]
                    values[r * d + c] = Float(y)
                    sq += y * y; dot += mean[c] * y; norm += v * v
                }
                squares[r] = sq; dots[r] = dot; lengths[r] = norm.squareRoot()
            }
        }
        centred = values
        // A row whose norm is rounding noise beside the others' has no direction: it counts as zero
        // (cosine 0 with every row). Such rows are exactly zero in exact arithmetic (a shared prefix
        // token minus its position's mean, then z-scored by a mean that is itself rounding noise),
        // and their cosine neighbours would otherwise be decided by that noise.
        let zero = Neighbours.zeroNormTolerance * (lengths.max() ?? 0)
        for r in 0..<n where lengths[r] <= zero { lengths[r] = 0 }
        centredSquares = squares; meanDots = dots; norms = lengths
        meanSquare = mean.reduce(0) { $0 + $1 * $1 }
        largestCentred = (squares.max() ?? 0).squareRoot()
        largestRatio = (0..<n).filter { lengths[$0] > 0 }.map { squares[$0].squareRoot() / lengths[$0] }.max() ?? 0
        dotError = Double(d + 3) * 1.0001 * Double(Float.ulpOfOne) / 2
    }

    /// Every centred row's products with every row, n × n.
    func gram() -> [Float] { floatGram(centred, n: n, d: d) }

    /// Dot products of the centred `queries` with every row: queries.count × n, through sgemm.
    func products(_ queries: [Int]) -> [Float] {
        var block = [Float](repeating: 0, count: queries.count * d)
        for (b, i) in queries.enumerated() {
            for c in 0..<d { block[b * d + c] = centred[i * d + c] }
        }
        var out = [Float](repeating: 0, count: queries.count * n)
        block.withUnsafeBufferPointer { a in
            centred.withUnsafeBufferPointer { all in
                out.withUnsafeMutableBufferPointer { p in
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(queries.count), Int32(n), Int32(d),
                                1, a.baseAddress!, Int32(d), all.baseAddress!, Int32(d), 0, p.baseAddress!, Int32(n))
                }
            }
        }
        return out
    }

    /// Exact Euclidean and cosine distances from source row i to rows `others`, summed directly
    /// in Double (`ExactDistances`).
    func exactEuclidean(_ i: Int, _ others: [Int]) -> [Double] {
        ExactDistances.squaredEuclidean(x, from: i, to: others).map { $0.squareRoot() }
    }

    func exactEuclidean(_ i: Int, _ j: Int) -> Double { exactEuclidean(i, [j])[0] }

    func exactCosine(_ i: Int, _ others: [Int]) -> [Double] {
        zip(others, ExactDistances.dots(x, from: i, to: others)).map { j, dot in
            norms[i] > 0 && norms[j] > 0 ? 1 - dot / (norms[i] * norms[j]) : 1
        }
    }
}

/// One query row's approximate distances to every row, and the exact decisions taken from them.
private struct QueryRow {
    let rows: FloatRows
    let i: Int
    /// Approximate squared Euclidean distances and cosine distances to every row (Double
    /// arithmetic on the Float dot products).
    var squared: [Double]
    var cosine: [Double]
    /// Bounds on |approximate − exact| of `squared` and `cosine`.
    let squaredError: Double, cosineError: Double
    /// The Euclidean tie tolerance: `Neighbours.euclideanTieTolerance` of the row's largest distance.
    let euclideanTolerance: Double

    init(rows: FloatRows, i: Int, products: ArraySlice<Float>) {
        self.rows = rows
        self.i = i
        let n = rows.n, base = products.startIndex
        var squared = [Double](repeating: 0, count: n), cosine = squared
        let sqI = rows.centredSquares[i], aI = rows.meanDots[i], normI = rows.norms[i]
        var largest = 0.0
        for j in 0..<n {
            let g = Double(products[base + j])
            let s = sqI + rows.centredSquares[j] - 2 * g
            squared[j] = s > 0 ? s : 0   // never −0, whose bits would not order (euclideanRank)
            if j != i { largest = max(largest, squared[j]) }
            let normJ = rows.norms[j]
            cosine[j] = normI > 0 && normJ > 0 ? 1 - (g + aI + rows.meanDots[j] + rows.meanSquare) / (normI * normJ) : 1
        }
        self.squared = squared
        self.cosine = cosine
        let centredI = sqI.squareRoot()
        squaredError = 2 * rows.dotError * centredI * rows.largestCentred + 1e-300
        cosineError = normI > 0 ? rows.dotError * centredI / normI * rows.largestRatio + 1e-12 : 0
        // Its largest distance is known to within the rounding bound; a tolerance 1e-7 of it.
        euclideanTolerance = Neighbours.euclideanTieTolerance * (largest + squaredError).squareRoot()
    }

    /// The k nearest other rows by cosine distance under the tie rule, among the rows `allowed`
    /// (at least k of them).
    func cosineNeighbours(_ k: Int, allowed: (Int) -> Bool = { _ in true }) -> [Int] {
        let tol = Neighbours.tieTolerance
        var best = SmallestK(capacity: k)
        for j in 0..<rows.n where j != i && allowed(j) { best.offer(Float(cosine[j]), j) }
        // Float(kth) may round down by a relative 2⁻²⁴; take the largest exact score among the k.
        let kth = best.indices.map { cosine[$0] }.max()!
        let threshold = kth + 2 * cosineError + 4 * tol
        let candidates = (0..<rows.n).filter { $0 != i && cosine[$0] <= threshold && allowed($0) }
        let exact = rows.exactCosine(i, candidates)
        let ordered = Self.tieOrder(candidates, exact, tolerance: tol)
        // Rows left out have exact distances above threshold − error: the k-th's chain of ties
        // must stop short of them.
        let chainEnd = Self.chainEnd(ordered, at: k - 1, tolerance: tol)
        if chainEnd + tol < threshold - cosineError {
            return Array(ordered.prefix(k).map(\.index))
        }
        let others = (0..<rows.n).filter { $0 != i && allowed($0) }
        let all = rows.exactCosine(i, others)
        return Array(Self.tieOrder(others, all, tolerance: tol).prefix(k).map(\.index))
    }

    /// An approximate squared distance at or below which a row is surely among i's k nearest
    /// (rank ≤ k), rounding and ties included; rows beyond it need `euclideanRank`. With v the
    /// (k+1)-th smallest approximate squared distance, rows at or beyond v are exactly at least
    /// √(v − error) away, and at most k rows (j among them) are nearer: if j is surely nearer than
    /// that by more than a chain of k + 1 tie tolerances, no row beyond can precede or tie with it.
    func squaredCutoff(_ k: Int) -> Double {
        var best = SmallestK(capacity: k + 1)
        for l in 0..<rows.n where l != i { best.offer(Float(squared[l]), l) }
        guard best.scores.count == k + 1 else { return .infinity }
        // Rounding to Float is monotone: the (k+1)-th Float score, lowered by its rounding, is at
        // most the (k+1)-th Double one.
        let next = Double(best.scores[k]) * (1 - Double(Float.ulpOfOne))
        let reach = max(0, next - squaredError).squareRoot() - Double(k + 1) * euclideanTolerance
        guard reach > 0 else { return -1 }
        return reach * reach - squaredError
    }

    /// The rank (1 = nearest) of row j among i's other rows by Euclidean distance, tie rule included.
    /// `scratch` has room for n indices.
    func euclideanRank(of j: Int, scratch: UnsafeMutablePointer<Int>) -> Int {
        let tol = euclideanTolerance
        // The window [below, above] of exact distances around j's own: rows surely nearer or
        // farther than it by their approximate distances are counted or skipped, the rest (the
        // band) are ranked exactly. Its slack of four tolerances lets a short chain of ties fit.
        let distance = rows.exactEuclidean(i, j)
        let below = max(0, distance - 4 * tol), above = distance + 4 * tol
        let belowSquared = below * below - squaredError, aboveSquared = above * above + squaredError
        // One scan (`fs_rank_window`): distances are ≥ 0, whose bit patterns order as integers.
        // Row i itself is taken back out of the count; j joins the band with the distance already known.
        var bandCount = 0
        let low = max(0, belowSquared).bitPattern
        var before = squared.withUnsafeBufferPointer { s in
            s.withMemoryRebound(to: UInt64.self) { bits in
                fs_rank_window(bits.baseAddress!, rows.n, belowSquared > 0 ? belowSquared.bitPattern : 0, low,
                               max(0, aboveSquared).bitPattern &- low, i, j, scratch, &bandCount)
            }
        }
        var band = Array(UnsafeBufferPointer(start: scratch, count: bandCount))
        if squared[i] < belowSquared { before -= 1 }
        let exact = rows.exactEuclidean(i, band) + [distance]
        band.append(j)
        let ordered = Self.tieOrder(band, exact, tolerance: tol)
        let at = ordered.firstIndex { $0.index == j }!
        // Rows outside the band are at exact distances below `below` or above `above`; the chain of
        // ties around j must not reach them, or the band's order is not the whole row's.
        if Self.chainStart(ordered, at: at, tolerance: tol) - tol > below && Self.chainEnd(ordered, at: at, tolerance: tol) + tol < above {
            return before + at + 1
        }
        let all = rows.exactEuclidean(i, Array(0..<rows.n))
        let ranked = Neighbours.order((0..<rows.n).filter { $0 != i }, by: all, tolerance: tol)
        return ranked.firstIndex(of: j)! + 1
    }

    /// `candidates` with their exact distances in the tie rule's order: by distance, distances
    /// chaining within `tolerance` of each other once sorted as one group, each group by index.
    static func tieOrder(_ candidates: [Int], _ exact: [Double], tolerance: Double) -> [(index: Int, distance: Double)] {
        let sorted = zip(candidates, exact).map { (index: $0, distance: $1) }
            .sorted { $0.distance != $1.distance ? $0.distance < $1.distance : $0.index < $1.index }
        var out = [(index: Int, distance: Double)](), group = [(index: Int, distance: Double)]()
        out.reserveCapacity(sorted.count)
        for (p, e) in sorted.enumerated() {
            if p > 0, e.distance - sorted[p - 1].distance > tolerance {
                out += group.sorted { $0.index < $1.index }
                group = []
            }
            group.append(e)
        }
        return out + group.sorted { $0.index < $1.index }
    }

    /// The smallest and largest distance of the tie group holding position `at` of a tie-ordered list.
    static func chainStart(_ ordered: [(index: Int, distance: Double)], at: Int, tolerance: Double) -> Double {
        groupBounds(ordered, at: at, tolerance: tolerance).lowerBound
    }

    static func chainEnd(_ ordered: [(index: Int, distance: Double)], at: Int, tolerance: Double) -> Double {
        groupBounds(ordered, at: at, tolerance: tolerance).upperBound
    }

    private static func groupBounds(_ ordered: [(index: Int, distance: Double)], at: Int, tolerance: Double) -> ClosedRange<Double> {
        // Within a group the order is by index, so its distances are not sorted: regroup by distance.
        let distances = ordered.map(\.distance).sorted()
        let value = ordered[at].distance
        var lo = distances.firstIndex { $0 >= value }!, hi = distances.lastIndex { $0 <= value }!
        while lo > 0 && distances[lo] - distances[lo - 1] <= tolerance { lo -= 1 }
        while hi + 1 < distances.count && distances[hi + 1] - distances[hi] <= tolerance { hi += 1 }
        return distances[lo]...distances[hi]
    }
}
