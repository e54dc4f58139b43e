import ArgumentParser
import Forkscope

/// `--umap-views auto | all | v1,v2,…`.
extension UMAPViews: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }

    public var defaultValueDescription: String { description }

    public static var allValueStrings: [String] { ["auto", "all", "v1,v2,…"] }
}
