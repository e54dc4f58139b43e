/// The `k` nearest neighbours of every row, each row listing itself first and then its `k − 1`
/// nearest other rows by increasing distance (ties by lower index), as umap-learn's graphs do.
public struct NeighbourGraph: Sendable, Equatable {
    public let k: Int
    /// Row-major n × k neighbour indices.
    public var indices: [Int]
    /// Row-major n × k distances (Euclidean, or cosine distance 1 − cos), recomputed exactly in Double.
    public var distances: [Double]
    public var count: Int { k == 0 ? 0 : indices.count / k }

    public func neighbours(of i: Int) -> ArraySlice<Int> { indices[(i * k)..<(i * k + k)] }
}
