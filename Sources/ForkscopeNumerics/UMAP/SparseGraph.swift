/// A symmetric sparse graph in compressed rows, columns sorted within each row.
public struct SparseGraph: Sendable, Equatable {
    public let n: Int
    public var offsets: [Int]
    public var columns: [Int]
    public var weights: [Double]

    public func row(_ i: Int) -> Range<Int> { offsets[i]..<offsets[i + 1] }
    public var edgeCount: Int { columns.count }

    /// Builds the rows from (row, column, weight) triples; each (row, column) at most once.
    init(n: Int, triples: [(Int, Int, Double)]) {
        self.n = n
        let sorted = triples.sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
        var offsets = [Int](repeating: 0, count: n + 1)
        for t in sorted { offsets[t.0 + 1] += 1 }
        for i in 0..<n { offsets[i + 1] += offsets[i] }
        self.offsets = offsets
        columns = sorted.map(\.1)
        weights = sorted.map(\.2)
    }

    /// The graph without edges lighter than `threshold`.
    func pruned(below threshold: Double) -> SparseGraph {
        var triples = [(Int, Int, Double)]()
        for i in 0..<n { for e in row(i) where weights[e] >= threshold { triples.append((i, columns[e], weights[e])) } }
        return SparseGraph(n: n, triples: triples)
    }

    /// Connected components: a label per vertex, numbered in order of each component's lowest vertex.
    func components() -> (count: Int, labels: [Int]) {
        var labels = [Int](repeating: -1, count: n)
        var count = 0
        for start in 0..<n where labels[start] < 0 {
            labels[start] = count
            var stack = [start]
            while let v = stack.popLast() {
                for e in row(v) where labels[columns[e]] < 0 { labels[columns[e]] = count; stack.append(columns[e]) }
            }
            count += 1
        }
        return (count, labels)
    }
}
