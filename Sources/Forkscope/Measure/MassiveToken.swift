/// Tokens whose state's norm is far above the layer's median: massive activations (Sun, Chen,
/// Kolter & Liu, 2024, "Massive activations in large language models"), mostly attention sinks
/// such as the first token. One of them can hold nearly all of a layer's variance, so by default
/// they are kept out of every fit and measure.
public struct MassiveToken: Sendable, Equatable, Codable {
    /// Run-order token index.
    public let token: Int
    /// ‖x‖ / median ‖x‖ of the layer.
    public let normRatio: Double
    /// The three dimensions of largest |value|, largest first.
    public let topDimensions: [Int]
}
