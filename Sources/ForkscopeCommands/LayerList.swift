import ArgumentParser
import Foundation

/// `--umap-layers`: model layer indices.
struct LayerList: ExpressibleByArgument, Sendable {
    let layers: Set<Int>

    init?(argument: String) {
        var layers = Set<Int>()
        for part in argument.split(separator: ",") {
            guard let layer = Int(part.trimmingCharacters(in: .whitespaces)) else { return nil }
            layers.insert(layer)
        }
        self.layers = layers
    }
}
