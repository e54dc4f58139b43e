import CKernels
import Testing

/// The conversion kernels against Swift's own `Float16`/`Float` conversions (an independent
/// reference), over every binary16 and bfloat16 bit pattern, at every misalignment of the tail.
struct ConversionTests {
    typealias Kernel = (UnsafeRawPointer?, UnsafeMutablePointer<Double>?, Int) -> Int32

    /// Runs `kernel` over `patterns` (stored little-endian, as in a file) into Doubles.
    static func run<T: FixedWidthInteger>(_ kernel: Kernel, _ patterns: [T], count: Int? = nil) -> (values: [Double], special: Bool) {
        let stored = patterns.map(\.littleEndian)
        let n = count ?? patterns.count
        var out = [Double](repeating: .nan, count: n)
        let special = stored.withUnsafeBytes { raw in
            out.withUnsafeMutableBufferPointer { kernel(raw.baseAddress!, $0.baseAddress!, n) }
        }
        return (out, special != 0)
    }

    static func same(_ a: Double, _ b: Double) -> Bool {
        a.isNaN ? b.isNaN : a.bitPattern == b.bitPattern
    }

    #if !(os(macOS) && arch(x86_64))
    @Test func everyHalfConvertsAsFloat16Does() {
        let finite = (0...0xFFFF).map { UInt16($0) }.filter { ($0 & 0x7C00) != 0x7C00 }
        let expected = finite.map { Double(Float16(bitPattern: $0)) }
        for kernel in [fs_f16_to_f64, fs_f16_to_f64_portable] as [Kernel] {
            let (values, special) = Self.run(kernel, finite)
            #expect(!special)
            #expect(zip(values, expected).allSatisfy { $0.bitPattern == $1.bitPattern })
        }
        let specials: [UInt16] = [0x7C00, 0xFC00, 0x7E00, 0x7C01, 0xFFFF]
        for kernel in [fs_f16_to_f64, fs_f16_to_f64_portable] as [Kernel] {
            let (values, special) = Self.run(kernel, specials)
            #expect(special)
            #expect(zip(values, specials).allSatisfy { Self.same($0, Double(Float16(bitPattern: $1))) })
        }
    }
    #endif

    @Test func everyBFloat16ConvertsAsTheTopHalfOfAFloat() {
        let all = (0...0xFFFF).map { UInt16($0) }
        for kernel in [fs_bf16_to_f64, fs_bf16_to_f64_portable] as [Kernel] {
            let (values, special) = Self.run(kernel, all)
            #expect(special)   // the set holds infinities and NaNs
            #expect(zip(values, all).allSatisfy { Self.same($0, Double(Float(bitPattern: UInt32($1) << 16))) })
        }
    }

    @Test func floatsWidenExactly() {
        let samples: [Float] = [0, -0.0, 1, -1.5, .leastNonzeroMagnitude, .leastNormalMagnitude, .greatestFiniteMagnitude, 3.14159, -2e-30]
        let patterns = (0..<37).map { samples[$0 % samples.count].bitPattern }
        for kernel in [fs_f32_to_f64, fs_f32_to_f64_portable] as [Kernel] {
            let (values, special) = Self.run(kernel, patterns)
            #expect(!special)
            #expect(zip(values, patterns).allSatisfy { $0.bitPattern == Double(Float(bitPattern: $1)).bitPattern })
        }
    }

    /// The fast versions write with aligned stores after a short unaligned head: every offset of
    /// the output and every length around a vector gives the portable versions' result.
    @Test func everyOutputAlignmentAndLength() {
        let halves = (0..<64).map { UInt16(truncatingIfNeeded: 0x3C00 &+ $0 &* 37) }
        let words = (0..<64).map { Float($0) * 1.25 - 7 }.map(\.bitPattern)
        for offset in 0..<4 {
            for count in [0, 1, 3, 7, 8, 9, 17, 40] {
                let cases: [(Kernel, Kernel, [UInt8])] = [
                    (fs_f16_to_f64, fs_f16_to_f64_portable, halves.withUnsafeBytes { Array($0) }),
                    (fs_bf16_to_f64, fs_bf16_to_f64_portable, halves.withUnsafeBytes { Array($0) }),
                    (fs_f32_to_f64, fs_f32_to_f64_portable, words.withUnsafeBytes { Array($0) }),
                ]
                for (fast, portable, bytes) in cases {
                    var a = [Double](repeating: -1, count: offset + count + 1), b = a
                    bytes.withUnsafeBytes { raw in
                        a.withUnsafeMutableBufferPointer { _ = fast(raw.baseAddress!, $0.baseAddress! + offset, count) }
                        b.withUnsafeMutableBufferPointer { _ = portable(raw.baseAddress!, $0.baseAddress! + offset, count) }
                    }
                    #expect(a.map(\.bitPattern) == b.map(\.bitPattern), "offset \(offset), count \(count)")
                    #expect(a[offset + count] == -1 && (offset == 0 || a[offset - 1] == -1), "wrote outside the range")
                }
            }
        }
    }

    /// A non-finite element is flagged wherever it falls: in the vector body or in the tail.
    @Test(arguments: [0, 5, 8, 15, 16, 20])
    func specialsAreFlaggedAnywhere(at index: Int) {
        var halves = [UInt16](repeating: 0x3C00, count: 21)   // 1.0
        halves[index] = 0x7C00
        let (values, special) = Self.run(fs_f16_to_f64, halves)
        #expect(special)
        #expect(values[index] == .infinity && values.enumerated().allSatisfy { $0.offset == index || $0.element == 1 })
        var floats = [UInt32](repeating: Float(2).bitPattern, count: 21)
        floats[index] = Float.nan.bitPattern
        #expect(Self.run(fs_f32_to_f64, floats).special)
        var brains = [UInt16](repeating: 0x4000, count: 21)   // bfloat16 2.0
        brains[index] = 0xFF80   // −infinity
        #expect(Self.run(fs_bf16_to_f64, brains).special)
        #expect(!Self.run(fs_bf16_to_f64, [UInt16](repeating: 0x4000, count: 21)).special)
    }
}
