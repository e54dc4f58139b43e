/// Which captured layer of A goes with which of B.
///
/// Runs with as many captured layers pair them in order (layer by layer when they captured the
/// same indices). Otherwise each run's layers are placed at their relative depth, index ÷ the
/// largest index it captured (0 for a run of one layer), and each of A's layers pairs with B's
/// nearest in depth (the shallower on a tie): a run of layers 0, 6, 12 of a 12-layer model and one
/// of 0, 6, 12, 18, 24 of a 24-layer model compare 6 with 12.
public struct LayerPairing: Sendable, Equatable {
    /// (slice in A, slice in B), in A's order.
    public let pairs: [Pair]
    /// Whether layers paired by relative depth rather than by index.
    public let byDepth: Bool

    public struct Pair: Sendable, Equatable {
        public let a: Int, b: Int
    }

    public init(_ a: [Int], _ b: [Int]) {
        guard !a.isEmpty, !b.isEmpty else {
            pairs = []; byDepth = false
            return
        }
        if a.count == b.count {
            pairs = a.indices.map { Pair(a: $0, b: $0) }
            byDepth = false
            return
        }
        func depths(_ layers: [Int]) -> [Double] {
            let deepest = Double(layers.max()!)
            return layers.map { deepest > 0 ? Double($0) / deepest : 0 }
        }
        let da = depths(a), db = depths(b)
        pairs = da.indices.map { i in
            Pair(a: i, b: db.indices.min { abs(db[$0] - da[i]) < abs(db[$1] - da[i]) || (abs(db[$0] - da[i]) == abs(db[$1] - da[i]) && db[$0] < db[$1]) }!)
        }
        byDepth = true
    }
}
