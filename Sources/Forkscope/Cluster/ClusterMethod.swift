import ForkscopeNumerics

/// How the build clusters each view's fit states (`--clusters`): HDBSCAN (the default; its
/// min_cluster_size given or `HDBSCAN.defaultMinClusterSize` of the layer's fit tokens), k-means
/// with k clusters, or none. Written as in report.json's settings: "hdbscan", "hdbscan:M",
/// "kmeans:K", "off".
public enum ClusterMethod: Sendable, Equatable, Codable, CustomStringConvertible {
    case hdbscan(minClusterSize: Int?)
    case kmeans(k: Int)
    case off

    public static let `default` = ClusterMethod.hdbscan(minClusterSize: nil)

    /// Parses "hdbscan", "hdbscan:M" (M ≥ 2), "kmeans:K" (K ≥ 1) or "off"; nil otherwise.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let number = parts.count == 2 ? Int(parts[1]) : nil
        switch (parts[0], parts.count) {
        case ("hdbscan", 1): self = .hdbscan(minClusterSize: nil)
        case ("hdbscan", 2): guard let m = number, m >= 2 else { return nil }; self = .hdbscan(minClusterSize: m)
        case ("kmeans", 2): guard let k = number, k >= 1 else { return nil }; self = .kmeans(k: k)
        case ("off", 1): self = .off
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .hdbscan(nil): return "hdbscan"
        case .hdbscan(let m?): return "hdbscan:\(m)"
        case .kmeans(let k): return "kmeans:\(k)"
        case .off: return "off"
        }
    }
}
