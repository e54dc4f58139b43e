import ForkscopeNumerics

/// The similarity half of `forkscope diff` on two runs: pair them (`RunPairing`), then read each
/// pair of layers and compare every view (`LayerSimilarity`), layer pairs side by side on
/// `threads` workers, one pair's states in memory per worker.
public struct RunDiff: Sendable {
    public let titleA: String, titleB: String
    public let pairing: RunPairing
    public let layers: [LayerSimilarity]

    public static let zeroPEVariant = Build.zeroPEVariant

    public init(_ a: RunReader, _ b: RunReader, views: [View] = View.defaults, settings: DebiasSettings = DebiasSettings(),
                massiveRatio: Double = 10, keepMassive: Bool = false, threads: Int = 2) throws {
        let pairing = RunPairing(a.run, b.run)
        let pairs = pairing.layers.pairs
        let wantsZeroPE = views.contains { $0.base == .zeroPE }
        var results = [Result<LayerSimilarity, Error>?](repeating: nil, count: pairs.count)
        BLASThreads.set(1)
        results.withUnsafeMutableBufferPointer { out in
            ParallelChunks.run(chunks: pairs.count, threads: max(1, threads)) { p in
                out[p] = Result {
                    func side(_ reader: RunReader, _ slice: Int) throws -> LayerSimilarity.Side {
                        let zero = wantsZeroPE && reader.run.variants.contains { $0.name == Self.zeroPEVariant }
                            ? try reader.states(slice: slice, variant: Self.zeroPEVariant) : nil
                        return .init(run: reader.run, layer: reader.run.layers[slice], states: try reader.states(slice: slice), zeroPE: zero)
                    }
                    return LayerSimilarity(try side(a, pairs[p].a), try side(b, pairs[p].b), tokens: pairing.tokens, views: views,
                                           settings: settings, massiveRatio: massiveRatio, keepMassive: keepMassive)
                }
            }
        }
        self.titleA = a.run.title
        self.titleB = b.run.title
        self.pairing = pairing
        self.layers = try results.map { try $0!.get() }
    }
}
