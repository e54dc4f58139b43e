import Foundation

/// SplitMix64 (Steele, Lea & Flood, "Fast splittable pseudorandom number generators", 2014).
///
/// UMAP draws its random numbers from many small streams keyed by (seed, purpose, epoch, point)
/// rather than one shared generator, so a result never depends on which thread drew what.
struct RandomStream: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64, _ keys: UInt64...) {
        var s = RandomStream.mix(seed &+ 0x9E37_79B9_7F4A_7C15)
        for key in keys { s = RandomStream.mix(s ^ RandomStream.mix(key &+ 0xD1B5_4A32_D192_ED03)) }
        state = s
    }

    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return RandomStream.mix(state)
    }

    /// A uniform integer in 0..<n (multiply-shift; the bias is below 2^-32 for any n we use).
    mutating func below(_ n: Int) -> Int {
        Int(((next() >> 32) &* UInt64(n)) >> 32)
    }

    /// A uniform Double in [0, 1).
    mutating func uniform() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// A standard normal draw (Box–Muller).
    mutating func normal() -> Double {
        let u = 1 - uniform(), v = uniform()
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
    }
}
