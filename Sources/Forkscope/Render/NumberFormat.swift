import Foundation

/// Numbers as pages show them: about four significant digits, no exponents, fixed decimals so
/// columns line up. Deterministic (C locale) so that builds are byte-identical.
enum NumberFormat {
    static func figure(_ v: Double?) -> String {
        guard let v, v.isFinite else { return "" }
        if v == 0 { return "0" }
        let magnitude = Int(floor(log10(abs(v))))
        return fixed(v, decimals: min(6, max(0, 3 - magnitude)))
    }

    /// A share in [0, 1] with three decimals (e.g. R², explained variance).
    static func share(_ v: Double?) -> String {
        guard let v, v.isFinite else { return "–" }
        return fixed(v, decimals: 3)
    }

    /// `v` with a fixed number of decimals; never "-0.000".
    static func fixed(_ v: Double, decimals: Int) -> String {
        let s = String(format: "%.\(decimals)f", v)
        return s.hasPrefix("-") && Double(s) == 0 ? String(s.dropFirst()) : s
    }

    /// A count with thousands separated by commas ("16,384"), whatever the locale.
    static func count(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return n < 0 ? "-" + out : out
    }
}
