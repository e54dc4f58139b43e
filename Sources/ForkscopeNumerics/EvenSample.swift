/// Deterministic even samples of indices.
public enum EvenSample {
    /// `m` of the indices `0..<n`, evenly spread: the middle of each of `m` equal parts (all if `m >= n`).
    public static func indices(_ n: Int, _ m: Int) -> [Int] {
        if m >= n { return Array(0..<n) }
        if m <= 0 { return [] }
        return (0..<m).map { k in (2 * k + 1) * n / (2 * m) }
    }
}
