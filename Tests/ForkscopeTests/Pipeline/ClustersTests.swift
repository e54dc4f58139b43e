import Foundation
import Testing
import ForkscopeTestSupport
@testable import Forkscope

/// Issue 19's planted runs: clusters made of position alone and clusters made of topic alone, and
/// what a default build says of them (labels, AMI, the verdict, the pages, the CSV).
@Suite("End to end: clusters")
struct ClustersTests {
    typealias Kit = SiteTestKit

    /// Four roots of 40 tokens in 10 dimensions. `positional`: a token's state points along one of
    /// 10 directions by its position (positions 0–3, 4–7, …), whatever its root; otherwise along one
    /// of 4 by its root, whatever its position. Small noise in every dimension; token texts all
    /// distinct (one root's hostile), so no cluster is one token.
    static func writeRun(at dir: URL, positional: Bool) throws {
        let roots = (0..<4).map { r in
            Kit.SynthBranch(id: "r\(r)", label: "root \(r)",
                            tokens: (0..<40).map { r == 3 ? "<b>t\($0)</b>&\"" : "t\(r).\($0)" }, positions: Array(0..<40))
        }
        try Kit.writeRun(at: dir, branches: roots, layers: [0, 1], hidden: 10, values: { branch, p, k in
            let r = Int(branch.dropFirst())!
            var hash = UInt64(r * 1000 + p * 16 + k) &* 0x9E37_79B9_7F4A_7C15
            hash ^= hash >> 29
            let noise = Float(hash % 1000) / 1000 - 0.5
            let direction = positional ? p / 4 : r
            return (k == direction ? 5 : 0) + 0.4 * noise
        })
    }

    @Test("clusters of position are labelled position and follow position deciles; clusters of topic are content and follow root prompts")
    func plantedClusters() throws {
        try TemporaryFolder.with { tmp in
            for positional in [true, false] {
                let run = tmp.appendingPathComponent(positional ? "positional" : "topical")
                try Self.writeRun(at: run, positional: positional)
                try Kit.withBuiltSite(run: run.path) { site, _ in
                    let report = try Report.read(at: site.path)
                    for layer in report.layers {
                        let raw = try #require(layer.views["raw"])
                        let c = try #require(raw.clusters, "layer \(layer.layer)")
                        #expect(c.method == "hdbscan" && c.parameters.min_cluster_size == 6 && c.tokens == 160)
                        #expect(c.count == (positional ? 10 : 4), "\(positional) layer \(layer.layer): \(c.count) clusters")
                        let labels = Set(c.clusters.filter { $0.id >= 0 }.map(\.label))
                        #expect(labels == [positional ? "position" : "content"], "\(labels)")
                        if positional {
                            #expect(c.ami_position > 0.6 && c.ami_root < 0.05, "AMI position \(c.ami_position), root \(c.ami_root)")
                        } else {
                            #expect(c.ami_root > 0.95 && c.ami_position < 0.05, "AMI root \(c.ami_root), position \(c.ami_position)")
                        }
                        #expect(raw.measures[.clusterAmiRoot] == c.ami_root && raw.measures[.clusterAmiPosition] == c.ami_position)
                        // Every cluster's exemplars are its own tokens, with context from their branch.
                        for g in c.clusters where g.id >= 0 {
                            #expect(g.exemplars.count == 5 && g.size >= 6)
                            #expect(g.positions.histogram.reduce(0, +) == g.size)
                        }
                    }
                    #expect(report.verdict.contains("Clusters of the states at"), "\(report.verdict)")
                    #expect(report.verdict.contains(positional ? "in the raw states they follow position" : "in the raw states they follow root prompts"),
                            "\(report.verdict)")
                    // The CSV's cluster column matches report.json's sizes.
                    let csv = try Kit.text(site.appendingPathComponent("layers/0.csv"))
                    let header = csv.split(separator: "\r\n").first!.split(separator: ",")
                    let column = try #require(header.firstIndex(of: "raw_cluster"))
                    let values = csv.split(separator: "\r\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false)[column] }
                    let sizes = try #require(report.layers[0].views["raw"]?.clusters).clusters.map(\.size)
                    #expect(values.count == 160 && Set(values).count == sizes.count)
                    // Hostile token text is escaped on the layer page and the clusters page.
                    for page in ["layers/0.html", "layers/0-clusters-raw.html"] {
                        let html = try Kit.text(site.appendingPathComponent(page))
                        #expect(!html.contains("<b>t") && html.contains("&lt;b&gt;t"), "\(page)")
                    }
                    let index = try Kit.text(site.appendingPathComponent("index.html"))
                    #expect(!index.contains("<b>t"), "the flow diagram's tooltips hold top tokens, escaped")
                    #expect(index.contains("<section class=\"flow\">") && index.contains("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"flow\""))
                }
            }
        }
    }

    @Test("--clusters off leaves clusters out; kmeans:K finds K clusters")
    func methods() throws {
        try TemporaryFolder.with { tmp in
            let run = tmp.appendingPathComponent("topical")
            try Self.writeRun(at: run, positional: false)
            for (method, count) in [(ClusterMethod.off, nil), (.kmeans(k: 4), 4)] as [(ClusterMethod, Int?)] {
                let site = tmp.appendingPathComponent("site-\(method)")
                var options = BuildOptions(run: run.path, out: site.path)
                options.analysis.clusters = method
                options.analysis.views = [.raw]
                _ = try Build.run(options)
                let report = try Report.read(at: site.path)
                let c = report.layers[0].views["raw"]?.clusters
                #expect(c?.count == count)
                if let c { #expect(c.method == "kmeans" && c.ami_root > 0.95 && c.sweep == nil) }
                #expect(report.settings.clusters == method.description)
                let csv = try Kit.text(site.appendingPathComponent("layers/0.csv"))
                #expect(csv.contains("raw_cluster") == (count != nil))
            }
        }
    }

    @Test func methodParsing() {
        #expect(ClusterMethod("hdbscan") == .hdbscan(minClusterSize: nil))
        #expect(ClusterMethod("hdbscan:20") == .hdbscan(minClusterSize: 20))
        #expect(ClusterMethod("kmeans:8") == .kmeans(k: 8))
        #expect(ClusterMethod("off") == .off)
        for bad in ["hdbscan:1", "kmeans", "kmeans:0", "kmeans:x", "dbscan", "off:2", ""] { #expect(ClusterMethod(bad) == nil, "\(bad)") }
    }
}
