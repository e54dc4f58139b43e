/// The `capacity` smallest (score, index) pairs offered, ties by lower index.
struct SmallestK {
    let capacity: Int
    private(set) var scores: [Float] = []
    private(set) var indices: [Int] = []

    init(capacity: Int) {
        self.capacity = capacity
        scores.reserveCapacity(capacity + 1); indices.reserveCapacity(capacity + 1)
    }

    mutating func offer(_ score: Float, _ index: Int) {
        guard capacity > 0 else { return }
        if scores.count == capacity {
            guard score < scores[capacity - 1] || (score == scores[capacity - 1] && index < indices[capacity - 1]) else { return }
            scores.removeLast(); indices.removeLast()
        }
        var at = scores.count
        while at > 0 && (scores[at - 1] > score || (scores[at - 1] == score && indices[at - 1] > index)) { at -= 1 }
        scores.insert(score, at: at); indices.insert(index, at: at)
    }
}
