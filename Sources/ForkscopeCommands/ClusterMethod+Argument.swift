import ArgumentParser
import Forkscope

/// `--clusters hdbscan | hdbscan:M | kmeans:K | off`.
extension ClusterMethod: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }

    public var defaultValueDescription: String { description }

    public static var allValueStrings: [String] { ["hdbscan", "hdbscan:M", "kmeans:K", "off"] }
}
