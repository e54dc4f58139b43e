import ArgumentParser
import Forkscope
import ForkscopeNumerics

// The engine's choices as command-line values: each parses itself, and its help lists the values.

extension DebiasSettings.LeaceConcept: ExpressibleByArgument {}
extension Neighbours.Metric: ExpressibleByArgument {}
extension SpectralLayout.Outcome: ExpressibleByArgument {}

/// `--views`: views by name, each optionally `+z`.
struct ViewList: ExpressibleByArgument, Sendable {
    let views: [View]

    init?(argument: String) {
        var views = [View]()
        for name in argument.split(separator: ",") {
            guard let view = View(name: name.trimmingCharacters(in: .whitespaces)) else { return nil }
            views.append(view)
        }
        self.views = views
    }

    static var allValueStrings: [String] { View.Base.allCases.map(\.rawValue) }
}

/// `--projections`: the layouts to draw, PCA among them.
struct ProjectionList: ExpressibleByArgument, Sendable {
    let kinds: [ProjectionKind]

    init?(argument: String) {
        guard let kinds = ProjectionKind.list(argument), kinds.contains(.pca) else { return nil }
        self.kinds = kinds
    }

    init(_ kinds: [ProjectionKind]) { self.kinds = kinds }

    var defaultValueDescription: String { kinds.map(\.rawValue).joined(separator: ",") }
}

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

extension FailCondition: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
}
