import ForkscopeNumerics

public enum MassiveActivations {
    /// Median of the row norms (mean of the middle two for an even count, as NumPy).
    public static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }

    /// The tokens of `states` with norm above `ratio` times the median norm.
    public static func detect(_ states: Matrix, ratio: Double) -> [MassiveToken] {
        let norms = states.rowNorms()
        let m = median(norms)
        guard m > 0 else { return [] }
        return norms.indices.filter { norms[$0] > ratio * m }.map { t in
            let top = (0..<states.cols).sorted { abs(states[t, $0]) > abs(states[t, $1]) || (abs(states[t, $0]) == abs(states[t, $1]) && $0 < $1) }
            return MassiveToken(token: t, normRatio: norms[t] / m, topDimensions: Array(top.prefix(3)))
        }
    }

    /// The massive tokens of a layer's states and, where given, of its zero_pe variant's (those
    /// only the variant has are added), in token order.
    public static func detect(_ states: Matrix, zeroPE: Matrix?, ratio: Double) -> [MassiveToken] {
        var massive = detect(states, ratio: ratio)
        guard let zeroPE else { return massive }
        let seen = Set(massive.map(\.token))
        massive += detect(zeroPE, ratio: ratio).filter { !seen.contains($0.token) }
        return massive.sorted { $0.token < $1.token }
    }
}
