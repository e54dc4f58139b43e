import Foundation

/// The one seeded pseudo-random generator of the tests: SplitMix64 (Steele, Lea and Flood 2014),
/// so that test data, and any failure, is the same on every run and every platform.
///
/// Use it as a `RandomNumberGenerator` (`Double.random(in:using:)`, `shuffled(using:)`), or draw
/// with `nextUnit()` / `nextNormal()`, whose values do not depend on the standard library's
/// mapping of raw bits to numbers.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform value in [0, 1): the top 53 bits of the next output.
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// A standard normal value (Box–Muller on two `nextUnit()` draws; the sine half is dropped).
    public mutating func nextNormal() -> Double {
        (-2 * log(1 - nextUnit())).squareRoot() * cos(2 * .pi * nextUnit())
    }
}
