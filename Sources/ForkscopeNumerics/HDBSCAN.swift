import CLapack

/// HDBSCAN (Campello, Moulavi & Sander 2013; McInnes, Healy & Astels 2017) with excess-of-mass
/// cluster selection, as scikit-learn's `HDBSCAN(algorithm="brute")` with its other defaults
/// (Euclidean, alpha 1, no single cluster, epsilon 0): core distance to the min_samples-th nearest
/// row counting the row itself; Prim's minimum spanning tree of the mutual reachability graph
/// from row 0 (ties to the lower row); its edges sorted by weight into a single-linkage tree; the
/// tree condensed at min_cluster_size; the clusters of greatest stability selected; a row belongs
/// to the selected cluster above it in the condensed tree, or is noise (−1).
///
/// One difference: edges of equal weight (frequent, since many weigh some row's core distance)
/// keep Prim's order (a stable sort), where scikit-learn's `np.argsort` leaves their order to
/// NumPy's unstable quicksort. Results equal scikit-learn's pipeline with a stable sort exactly;
/// against the stock estimator they differ only where ties change the tree.
///
/// Above `sampleLimit` rows, HDBSCAN runs on an even sample of that many and every other row takes
/// the label of its nearest sampled row, so memory stays O(sampleLimit²) (one distance matrix)
/// and time O(n·sampleLimit·d) at any n.
public enum HDBSCAN {
    public static let sampleLimit = 2048

    /// The default min_cluster_size for `n` rows: √n / 2, rounded, within 5…100 (12 for 600 tokens,
    /// 32 for 4,096, 64 for 16,384).
    public static func defaultMinClusterSize(rows n: Int) -> Int {
        max(5, min(100, Int((Double(n).squareRoot() / 2 + 0.5).rounded(.down))))
    }

    /// The min_cluster_size values a page shows the cluster count for beside the one used: half,
    /// three quarters, itself, one and a half and twice (at least 2, duplicates dropped).
    public static func neighbouringSizes(of m: Int) -> [Int] {
        var out = [Int]()
        for v in [max(2, half(m)), Int((Double(3 * m) / 4 + 0.5).rounded(.down)), m, Int((Double(3 * m) / 2 + 0.5).rounded(.down)), 2 * m]
        where !out.contains(v) { out.append(v) }
        return out
    }

    private static func half(_ m: Int) -> Int { Int((Double(m) / 2 + 0.5).rounded(.down)) }

    public struct Result: Sendable, Equatable {
        /// Each row's cluster (0 is the largest; ties by lowest row), −1 for noise.
        public let labels: [Int]
        public let count: Int
        public var noiseShare: Double { labels.isEmpty ? 0 : Double(labels.filter { $0 < 0 }.count) / Double(labels.count) }
    }

    /// The default min_samples: 5 (or min_cluster_size, if smaller). scikit-learn's default is
    /// min_cluster_size; a small fixed value keeps fewer tokens as noise in high dimensions and
    /// lets one spanning tree serve every min_cluster_size of a sweep.
    public static func defaultMinSamples(minClusterSize m: Int) -> Int { min(5, m) }

    /// The clustering of `x`'s rows at each of `minClusterSizes`, from one distance matrix and one
    /// spanning tree.
    /// - Returns: one result per size, in order, and the number of rows HDBSCAN ran on.
    public static func cluster(_ x: Matrix, minClusterSizes: [Int], minSamples: Int) -> (results: [Result], sampled: Int) {
        let n = x.rows
        guard n > 0 else { return (minClusterSizes.map { _ in Result(labels: [], count: 0) }, 0) }
        let sample = EvenSample.indices(n, sampleLimit)
        let points = sample.count == n ? x : x.selectingRows(sample)
        let hierarchy = singleLinkage(DistanceMatrix(points), minSamples: minSamples)
        var results = [Result]()
        for m in minClusterSizes {
            var labels = hierarchy.map { CondensedTree($0, minClusterSize: m).labels() } ?? [Int](repeating: -1, count: points.rows)
            if sample.count < n { labels = extend(labels, sample: sample, to: x) }
            results.append(renumbered(labels))
        }
        return (results, sample.count)
    }

    /// Labels 0…C−1 by size, largest first (ties by lowest row), noise −1.
    public static func renumbered(_ labels: [Int]) -> Result {
        var size = [Int: Int](), first = [Int: Int]()
        for (row, l) in labels.enumerated() where l >= 0 {
            size[l, default: 0] += 1
            if first[l] == nil { first[l] = row }
        }
        let order = size.keys.sorted { size[$0]! != size[$1]! ? size[$0]! > size[$1]! : first[$0]! < first[$1]! }
        let new = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })
        return Result(labels: labels.map { $0 < 0 ? -1 : new[$0]! }, count: order.count)
    }

    /// Every row outside the sample takes the label of its nearest sampled row (ties to the lower),
    /// from Float dot products (sgemm, 256 rows at a time): an approximation already, which Float
    /// rounding can only change between sampled rows at nearly equal distances.
    private static func extend(_ sampleLabels: [Int], sample: [Int], to x: Matrix) -> [Int] {
        let d = x.cols, mean = x.columnMeans()
        func centred(_ rows: [Int]) -> [Float] {
            var out = [Float](repeating: 0, count: rows.count * d)
            for (k, r) in rows.enumerated() { for c in 0..<d { out[k * d + c] = Float(x[r, c] - mean[c]) } }
            return out
        }
        let s = centred(sample)
        let sampleSquares = (0..<sample.count).map { k in (0..<d).reduce(Float(0)) { $0 + s[k * d + $1] * s[k * d + $1] } }
        var labels = [Int](repeating: -1, count: x.rows)
        for (k, row) in sample.enumerated() { labels[row] = sampleLabels[k] }
        let inSample = Set(sample), rest = (0..<x.rows).filter { !inSample.contains($0) }
        var products = [Float](repeating: 0, count: 256 * sample.count)
        var start = 0
        while start < rest.count {
            let rows = Array(rest[start..<min(start + 256, rest.count)])
            let block = centred(rows)
            block.withUnsafeBufferPointer { a in
                s.withUnsafeBufferPointer { b in
                    products.withUnsafeMutableBufferPointer { c in
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, blasint(rows.count), blasint(sample.count), blasint(d),
                                    1, a.baseAddress, blasint(d), b.baseAddress, blasint(d), 0, c.baseAddress, blasint(sample.count))
                    }
                }
            }
            for (i, row) in rows.enumerated() {
                var best = 0, bestValue = Float.infinity
                for k in 0..<sample.count {
                    // ‖a − b‖² up to the row's own ‖a‖², which does not change the order.
                    let v = sampleSquares[k] - 2 * products[i * sample.count + k]
                    if v < bestValue { bestValue = v; best = k }
                }
                labels[row] = sampleLabels[best]
            }
            start += rows.count
        }
        return labels
    }

    /// The single-linkage tree of the mutual reachability distances; nil below 2 rows.
    static func singleLinkage(_ d: DistanceMatrix, minSamples: Int) -> SingleLinkage? {
        guard d.count >= 2 else { return nil }
        let k = max(1, min(minSamples, d.count))
        // Core distance: the k-th smallest distance of the row, the row's own 0 included.
        let core = (0..<d.count).map { d.kthSmallest(ofRow: $0, k) }
        return SingleLinkage(minimumSpanningTree(d, core: core), points: d.count)
    }

    /// Prim's algorithm on the mutual reachability distances max(core_i, core_j, d_ij), from row 0,
    /// each step taking the nearest row outside the tree (ties to the lower row). As scikit-learn's
    /// `mst_from_mutual_reachability`, each edge joins the new row to the row added before it
    /// rather than to its nearest tree row: Prim adds every component below a threshold in one
    /// run, so this path has the same single-linkage tree, and matching its endpoints keeps ties
    /// (frequent: many edges weigh some row's core distance) merging as scikit-learn's do.
    static func minimumSpanningTree(_ d: DistanceMatrix, core: [Double]) -> [(a: Int, b: Int, weight: Double)] {
        let n = d.count
        var inTree = [Bool](repeating: false, count: n)
        var best = [Double](repeating: .infinity, count: n)
        var edges = [(a: Int, b: Int, weight: Double)]()
        edges.reserveCapacity(n - 1)
        var current = 0
        for _ in 1..<n {
            inTree[current] = true
            var next = 0, nextWeight = Double.infinity
            let coreCurrent = core[current]
            d.withRow(current) { row in
                for j in 0..<n where !inTree[j] {
                    let reach = max(coreCurrent, core[j], row[j])
                    if reach < best[j] { best[j] = reach }
                    if best[j] < nextWeight { nextWeight = best[j]; next = j }
                }
            }
            edges.append((current, next, nextWeight))
            current = next
        }
        return edges
    }
}

/// The symmetric n x n Euclidean distances between a matrix's rows (from the centred Gram matrix,
/// as scikit-learn's `euclidean_distances`), mirrored so that d_ij = d_ji exactly.
struct DistanceMatrix {
    let count: Int
    private var storage: [Double]

    init(_ x: Matrix) {
        let n = x.rows, d = x.cols
        count = n
        let centred = x.subtractingFromRows(x.columnMeans())
        let squares = centred.rowNorms().map { $0 * $0 }
        // The Gram matrix's upper triangle (dsyrk: n²d flops), then distances mirrored below.
        var gram = [Double](repeating: 0, count: n * n)
        centred.storage.withUnsafeBufferPointer { a in
            gram.withUnsafeMutableBufferPointer { g in
                cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, blasint(n), blasint(d), 1, a.baseAddress, blasint(d),
                            0, g.baseAddress, blasint(n))
            }
        }
        for i in 0..<n {
            gram[i * n + i] = 0
            for j in (i + 1)..<max(i + 1, n) {
                let v = max(0, squares[i] + squares[j] - 2 * gram[i * n + j]).squareRoot()
                gram[i * n + j] = v
                gram[j * n + i] = v
            }
        }
        storage = gram
    }

    func withRow<T>(_ i: Int, _ body: (UnsafeBufferPointer<Double>) -> T) -> T {
        storage.withUnsafeBufferPointer { all in body(UnsafeBufferPointer(rebasing: all[(i * count)..<((i + 1) * count)])) }
    }

    subscript(i: Int, j: Int) -> Double { storage[i * count + j] }

    /// The k-th smallest distance of row i (k = 1 is the row's own 0), keeping the k smallest in
    /// an insertion-sorted buffer: O(n·k) for the small k of a core distance.
    func kthSmallest(ofRow i: Int, _ k: Int) -> Double {
        var smallest = [Double](repeating: .infinity, count: k)
        withRow(i) { row in
            for v in row where v < smallest[k - 1] {
                var j = k - 1
                while j > 0 && smallest[j - 1] > v { smallest[j] = smallest[j - 1]; j -= 1 }
                smallest[j] = v
            }
        }
        return smallest[k - 1]
    }
}

/// The single-linkage tree of a spanning tree: its edges stably sorted by weight and merged with
/// union-find; merge i makes node n + i (scikit-learn's `make_single_linkage`).
struct SingleLinkage {
    let points: Int
    /// Per merge: the two merged nodes, the weight and the merged size.
    let merges: [(left: Int, right: Int, distance: Double, size: Int)]

    init(_ edges: [(a: Int, b: Int, weight: Double)], points n: Int) {
        points = n
        let order = edges.indices.sorted { edges[$0].weight != edges[$1].weight ? edges[$0].weight < edges[$1].weight : $0 < $1 }
        var parent = Array(0..<(2 * n - 1)), size = [Int](repeating: 1, count: 2 * n - 1)
        func find(_ x: Int) -> Int {
            var r = x
            while parent[r] != r { r = parent[r] }
            var y = x
            while parent[y] != r { let next = parent[y]; parent[y] = r; y = next }
            return r
        }
        var merges = [(left: Int, right: Int, distance: Double, size: Int)]()
        for (i, e) in order.enumerated() {
            let a = find(edges[e].a), b = find(edges[e].b), node = n + i
            parent[a] = node
            parent[b] = node
            size[node] = size[a] + size[b]
            merges.append((a, b, edges[e].weight, size[node]))
        }
        self.merges = merges
    }

    func size(_ node: Int) -> Int { node < points ? 1 : merges[node - points].size }

    /// The nodes under `root`, level by level, left before right (`bfs_from_hierarchy`).
    func breadthFirst(from root: Int) -> [Int] {
        var out = [Int](), level = [root]
        while !level.isEmpty {
            out += level
            level = level.filter { $0 >= points }.flatMap { [merges[$0 - points].left, merges[$0 - points].right] }
        }
        return out
    }
}

/// The condensed tree: the single-linkage tree seen from the top, where a split counts only when
/// both sides hold at least min_cluster_size points; otherwise points fall out of their cluster
/// at λ = 1/distance (Campello et al. 2013, §3; scikit-learn's `_condense_tree`).
struct CondensedTree {
    struct Edge { let parent: Int; let child: Int; let lambda: Double; let size: Int }
    let points: Int
    let edges: [Edge]

    init(_ h: SingleLinkage, minClusterSize m: Int) {
        let n = h.points, root = 2 * n - 2
        var relabel = [Int](repeating: 0, count: root + 1)
        relabel[root] = n
        var next = n + 1
        var ignore = [Bool](repeating: false, count: root + 1)
        var edges = [Edge]()
        func fallOut(_ sub: Int, from parent: Int, at lambda: Double) {
            for node in h.breadthFirst(from: sub) {
                if node < n { edges.append(Edge(parent: parent, child: node, lambda: lambda, size: 1)) }
                ignore[node] = true
            }
        }
        for node in h.breadthFirst(from: root) where !ignore[node] && node >= n {
            let merge = h.merges[node - n]
            let lambda = merge.distance > 0 ? 1 / merge.distance : .infinity
            let leftSize = h.size(merge.left), rightSize = h.size(merge.right)
            let parent = relabel[node]
            switch (leftSize >= m, rightSize >= m) {
            case (true, true):
                for (child, size) in [(merge.left, leftSize), (merge.right, rightSize)] {
                    relabel[child] = next
                    edges.append(Edge(parent: parent, child: next, lambda: lambda, size: size))
                    next += 1
                }
            case (false, false):
                fallOut(merge.left, from: parent, at: lambda)
                fallOut(merge.right, from: parent, at: lambda)
            case (false, true):
                relabel[merge.right] = parent
                fallOut(merge.left, from: parent, at: lambda)
            case (true, false):
                relabel[merge.left] = parent
                fallOut(merge.right, from: parent, at: lambda)
            }
        }
        points = n
        self.edges = edges
    }

    /// The clusters chosen by excess of mass (`_get_clusters`, method "eom", the root excluded):
    /// leaves upward, a cluster is kept when its stability Σ (λ_p − λ_birth) is at least its
    /// children's combined, else it passes their sum up.
    func excessOfMass() -> Set<Int> {
        let root = points
        guard let last = edges.map({ max($0.parent, $0.child) }).max(), last > root else { return [] }
        var birth = [Double](repeating: 0, count: last + 1), stability = [Double](repeating: 0, count: last + 1)
        var children = [[Int]](repeating: [], count: last + 1)
        for e in edges where e.child >= points {
            birth[e.child] = e.lambda
            children[e.parent].append(e.child)
        }
        for e in edges { stability[e.parent] += (e.lambda - birth[e.parent]) * Double(e.size) }
        var selected = Set<Int>()
        for node in stride(from: last, to: root, by: -1) {
            let subtree = children[node].reduce(0.0) { $0 + stability[$1] }
            if subtree > stability[node] {
                stability[node] = subtree
            } else {
                var stack = children[node]
                while let c = stack.popLast() { selected.remove(c); stack += children[c] }
                selected.insert(node)
            }
        }
        return selected
    }

    /// Each point's selected cluster above it, or −1 (`_do_labelling` without a single cluster).
    func labels() -> [Int] {
        let selected = excessOfMass()
        var parent = [Int: Int]()
        for e in edges { parent[e.child] = e.parent }
        return (0..<points).map { p in
            var node = parent[p] ?? points
            while !selected.contains(node) {
                guard let up = parent[node] else { return -1 }
                node = up
            }
            return node
        }
    }
}
