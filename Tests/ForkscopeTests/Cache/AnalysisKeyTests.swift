import Foundation
import Testing
import ForkscopeNumerics
import ForkscopeTestSupport
@testable import Forkscope

/// `AnalysisKey` and `RunDigest`: every input that must invalidate a layer's entry changes its
/// key, and what must not, doesn't.
struct AnalysisKeyTests {
    static func key(_ options: LayerAnalysis.Options, layer: Int = 3, build: String = "b", run: String = "r") -> String {
        AnalysisKey.layer(build: build, run: run, layer: layer, options: options)
    }

    /// One change to each option the analysis depends on.
    static var changes: [(String, (inout LayerAnalysis.Options) -> Void)] { [
        ("views", { $0.views = [.raw, View(.leace)] }),
        ("debias.regressDegree", { $0.debias.regressDegree = 2 }),
        ("debias.regressFourier", { $0.debias.regressFourier = 0 }),
        ("debias.leaceConcept", { $0.debias.leaceConcept = .onehot }),
        ("debias.abttComponents", { $0.debias.abttComponents = 5 }),
        ("massiveRatio", { $0.massiveRatio = 20 }),
        ("keepMassive", { $0.keepMassive = true }),
        ("projections", { $0.projections = [.pca] }),
        ("umapOptions.neighbours", { $0.umapOptions.neighbours = 30 }),
        ("umapOptions.minDist", { $0.umapOptions.minDist = 0.5 }),
        ("umapOptions.metric", { $0.umapOptions.metric = .cosine }),
        ("umapOptions.seed", { $0.umapOptions.seed = 7 }),
        ("umapOptions.initialisation", { $0.umapOptions.initialisation = .random }),
        ("umapViews", { $0.umapViews = .all }),
        ("clusters", { $0.clusters = .kmeans(k: 4) }),
        ("clusters parameter", { $0.clusters = .hdbscan(minClusterSize: 9) }),
    ] }

    @Test func everyAnalysisOptionChangesTheKey() {
        let base = Self.key(LayerAnalysis.Options())
        var seen = Set([base])
        for (name, change) in Self.changes {
            var o = LayerAnalysis.Options()
            change(&o)
            let k = Self.key(o)
            #expect(k != base, "\(name) must invalidate")
            #expect(!seen.contains(k), "\(name) collides with another change")
            seen.insert(k)
        }
    }

    @Test func buildRunAndLayerChangeTheKey() {
        let o = LayerAnalysis.Options()
        #expect(Self.key(o, build: "0.1.0 aaa") != Self.key(o, build: "0.1.1 aaa"))
        #expect(Self.key(o, build: "0.1.0 aaa") != Self.key(o, build: "0.1.0 aab"))
        #expect(Self.key(o, run: "r1") != Self.key(o, run: "r2"))
        #expect(Self.key(o, layer: 3) != Self.key(o, layer: 4))
        #expect(AnalysisKey.withUMAP("k", of: View(.leace)) != AnalysisKey.withUMAP("k", of: View(.abtt)))
        #expect(AnalysisKey.withUMAP("k", of: View(.leace)) != "k")
        #expect(AnalysisKey.build.hasPrefix(Forkscope.version + " ") && !AnalysisKey.build.hasSuffix("unknown-executable"))
    }

    /// Threads never change results; `--umap-layers` changes only the layers it adds or removes.
    @Test func threadsAndOtherLayersUMAPDoNot() {
        var o = LayerAnalysis.Options()
        let base = Self.key(o, layer: 3)
        o.threads = 7
        #expect(Self.key(o, layer: 3) == base)
        o.umapLayers = [3, 5]
        #expect(Self.key(o, layer: 3) == base)                       // UMAP still runs at 3
        #expect(Self.key(o, layer: 4) != Self.key(LayerAnalysis.Options(), layer: 4))   // and no longer at 4
        o.umapLayers = [5]
        #expect(Self.key(o, layer: 3) != base)
    }

    /// A new field of `LayerAnalysis.Options` must be hashed (or named unkeyed, with a reason).
    @Test func everyOptionFieldIsHashed() {
        let options = Set(Mirror(reflecting: LayerAnalysis.Options()).children.compactMap(\.label))
        let o = LayerAnalysis.Options()
        let keyed = AnalysisKey.LayerOptions(views: o.views, debias: o.debias, massiveRatio: o.massiveRatio, keepMassive: o.keepMassive,
                                             projections: o.projections, umapOptions: o.umapOptions, umapHere: true,
                                             umapViews: o.umapViews, clusters: o.clusters)
        let hashed = Set(Mirror(reflecting: keyed).children.compactMap(\.label))
        #expect(options.subtracting(AnalysisKey.unkeyedOptions) == hashed.subtracting(["umapHere"]))
        #expect(AnalysisKey.unkeyedOptions.isSubset(of: options))
    }

    @Test func theRunDigestFollowsEveryByteNotTheFolder() throws {
        try TemporaryFolder.with { tmp in
            let a = tmp.appendingPathComponent("a"), b = tmp.appendingPathComponent("b")
            try FileManager.default.copyItem(atPath: Fixtures.treeF32, toPath: a.path)
            try FileManager.default.copyItem(atPath: Fixtures.treeF32, toPath: b.path)
            let digest = { (dir: URL) in try RunDigest.of(RunReader(directory: dir.path)) }
            let original = try digest(a)
            #expect(try digest(b) == original)   // another folder, the same bytes

            let reader = try RunReader(directory: b.path)
            let tensors = try #require(reader.files.last)
            var bytes = try Data(contentsOf: URL(fileURLWithPath: tensors))
            bytes[bytes.count - 1] ^= 1
            try bytes.write(to: URL(fileURLWithPath: tensors))
            #expect(try digest(b) != original)   // one bit of the last state

            let manifest = a.appendingPathComponent("run.json")
            let text = try String(contentsOf: manifest, encoding: .utf8)
            try (text + "\n").write(to: manifest, atomically: true, encoding: .utf8)
            #expect(try digest(a) != original)   // run.json's bytes, even where its meaning is the same
        }
    }

    /// SHA-256 itself, against FIPS 180-2's examples.
    @Test func digestIsSHA256() {
        #expect(Digest.hex(Data("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Digest.hex(Data()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Digest.hex(fields: ["ab", "c"]) != Digest.hex(fields: ["a", "bc"]))
    }
}
