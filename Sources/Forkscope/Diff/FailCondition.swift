import Foundation

/// A regression gate of `forkscope diff --fail-if`: `cka<0.9`, `cka.position_mean<=0.8`,
/// `cka_debiased.raw<0.5` (any `SimilarityMeasure`, of every view or one), `position_probe>0.2`
/// (B's value), `delta.trustworthiness<-0.05` (B − A). The diff exits non-zero when any layer
/// (and view) meets any condition.
public struct FailCondition: Sendable, Equatable, CustomStringConvertible {
    public enum Comparison: String, Sendable, CaseIterable { case below = "<", atMost = "<=", above = ">", atLeast = ">=" }
    public enum Subject: Sendable, Equatable {
        /// CKA or its calibration, of one view or of every view (nil).
        case similarity(SimilarityMeasure, view: String?)
        /// B's value of a measure, or B − A.
        case measure(String, delta: Bool)
    }

    public let subject: Subject
    public let comparison: Comparison
    public let threshold: Double
    public let description: String

    /// Parses `NAME OP NUMBER` (no spaces needed); nil for anything else.
    public init?(_ text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        // The two-character operators first, so that "<=" is not read as "<" and "=0.8".
        guard let op = [Comparison.atMost, .atLeast, .below, .above].first(where: { trimmed.contains($0.rawValue) }),
              let range = trimmed.range(of: op.rawValue) else { return nil }
        let name = trimmed[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
        guard let value = Double(trimmed[range.upperBound...].trimmingCharacters(in: .whitespaces)), value.isFinite,
              !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." || $0 == "+" }) else { return nil }
        let head = name.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        if let similarity = SimilarityMeasure(rawValue: String(head[0])) {
            guard head.count == 1 || !head[1].isEmpty else { return nil }
            subject = .similarity(similarity, view: head.count == 2 ? String(head[1]) : nil)
        } else {
            let delta = name.hasPrefix("delta.")
            let measure = delta ? String(name.dropFirst(6)) : name
            guard !measure.isEmpty, !measure.contains(".") else { return nil }
            subject = .measure(measure, delta: delta)
        }
        comparison = op
        threshold = value
        description = "\(name)\(op.rawValue)\(Self.format(value))"
    }

    public func holds(_ value: Double) -> Bool {
        switch comparison {
        case .below: value < threshold
        case .atMost: value <= threshold
        case .above: value > threshold
        case .atLeast: value >= threshold
        }
    }

    private static func format(_ v: Double) -> String { v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(v) }
}
