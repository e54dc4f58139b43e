import ArgumentParser
import Forkscope

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
