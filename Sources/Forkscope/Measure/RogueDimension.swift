import ForkscopeNumerics

/// One of the few dimensions that hold most of the cosine similarity between a layer's tokens
/// (`RogueDimensions`, Timkey & van Schijndel 2021), as report.json writes it.
public struct RogueDimension: Codable, Sendable, Equatable {
    public var dimension: Int
    /// Its share of the mean cosine similarity between distinct fit tokens.
    public var share: Double

    /// The rogue dimensions of the fit tokens' raw states, and their mean cosine similarity.
    static func of(_ states: Matrix, rows: [Int]) -> (meanCosine: Double?, dimensions: [RogueDimension]) {
        let rogue = RogueDimensions(states.selectingRows(rows))
        return (rogue.meanCosine, rogue.rogue.map { RogueDimension(dimension: $0.dimension, share: $0.share) })
    }
}
