import Foundation

/// Class-based TF-IDF (Grootendorst 2022, BERTopic's `ClassTfidfTransformer` with its defaults):
/// all the items of a class form one document, and term t of class c scores
/// tf(t, c) · ln(1 + A / f(t)), where tf is t's share of the class's items, f(t) its count in all
/// classes and A the mean number of items per class, truncated to an integer as BERTopic does.
public enum ClassTFIDF {
    public struct Term: Sendable, Equatable, Codable {
        public let text: String
        public let score: Double
        public let count: Int
    }

    /// Each class's `limit` best terms: by score, then count, then text in code-point order. Terms
    /// are told apart by their code points (Swift's `String` equality would merge canonically
    /// equivalent texts, such as "é" precomposed and "e" + combining accent, which are different tokens).
    public static func top(terms: [String], classes: [Int], limit: Int) -> [Int: [Term]] {
        precondition(terms.count == classes.count)
        var counts = [Int: [TokenKey: Int]](), frequency = [TokenKey: Int]()
        for (text, c) in zip(terms, classes) {
            let t = TokenKey(text)
            counts[c, default: [:]][t, default: 0] += 1
            frequency[t, default: 0] += 1
        }
        guard !counts.isEmpty else { return [:] }
        let average = Double(terms.count / counts.count)
        var out = [Int: [Term]]()
        for (c, classCounts) in counts {
            let total = Double(classCounts.values.reduce(0, +))
            let scored = classCounts.map { key, count in
                Term(text: key.text, score: Double(count) / total * log(1 + average / Double(frequency[key]!)), count: count)
            }
            out[c] = Array(scored.sorted(by: ranksBefore).prefix(limit))
        }
        return out
    }

    private static func ranksBefore(_ a: Term, _ b: Term) -> Bool {
        if a.score != b.score { return a.score > b.score }
        if a.count != b.count { return a.count > b.count }
        return a.text.unicodeScalars.lexicographicallyPrecedes(b.text.unicodeScalars) { $0.value < $1.value }
    }
}

/// A token text compared by its Unicode scalars, not by canonical equivalence.
public struct TokenKey: Hashable, Sendable {
    public let text: String
    private let scalars: [Unicode.Scalar]
    public init(_ text: String) {
        self.text = text
        scalars = Array(text.unicodeScalars)
    }
    public static func == (a: Self, b: Self) -> Bool { a.scalars == b.scalars }
    public func hash(into hasher: inout Hasher) { hasher.combine(scalars) }
}
