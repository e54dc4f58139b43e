/// How much each token's neighbourhood changed between two representations of the same tokens:
/// 1 − |N_A(i) ∩ N_B(i)| / k, where N_X(i) are token i's k nearest other tokens (cosine) in X.
/// 0 when the token keeps all its neighbours, 1 when it keeps none. A global rotation or scaling
/// of either side leaves it at 0; a token whose content moved relative to the rest raises it.
/// (The same neighbour sets as the kNN purity measures, `Neighbours.nearest`.)
public enum NeighbourChange {
    /// One value per row; nil for every row when there are not more than `k` rows.
    public static func of(_ a: Matrix, _ b: Matrix, k: Int = 10) -> [Double?] {
        precondition(a.rows == b.rows, "neighbour change needs the same tokens on both sides")
        guard a.rows > k else { return [Double?](repeating: nil, count: a.rows) }
        let na = Neighbours.nearest(a, k: k, metric: .cosine), nb = Neighbours.nearest(b, k: k, metric: .cosine)
        return zip(na, nb).map { x, y in 1 - Double(Set(x).intersection(y).count) / Double(k) }
    }

    /// Mutual k-NN agreement (Huh, Cheung, Wang & Isola, "The Platonic Representation
    /// Hypothesis", ICML 2024): the mean over tokens of |N_A(i) ∩ N_B(i)| / k, from each token's
    /// change (1 − that share); nil without any. Its expectation for unrelated sides is k/(n − 1).
    public static func agreement(_ changes: [Double?]) -> Double? {
        let shares = changes.compactMap { $0.map { 1 - $0 } }
        return shares.isEmpty ? nil : shares.reduce(0, +) / Double(shares.count)
    }
}
