import Foundation
import Testing
import ForkscopeTestSupport
@testable import Forkscope

/// The analysis cache through whole builds: cached output is byte-identical to uncached output,
/// each input re-analyses or re-renders what it must and nothing more, corrupt entries are
/// recomputed, and concurrent builds share a cache safely.
struct AnalysisCacheTests {
    /// A build of `run` into `out`, with `cache` (none when nil).
    static func build(_ run: String, _ out: URL, cache: URL?, content: String? = nil, templates: String? = nil,
                      change: (inout BuildOptions) -> Void = { _ in }) throws -> Build.Result {
        var options = BuildOptions(run: run, out: out.path, content: content, templates: templates)
        options.analysis.threads = 2
        options.cache = try cache.map { try AnalysisCache(directory: $0.path) }
        change(&options)
        return try Build.run(options)
    }

    static func entries(_ cache: URL, _ kind: AnalysisCache.Kind) throws -> [URL] {
        let folder = cache.appendingPathComponent("\(AnalysisCache.format)/\(kind.rawValue)")
        return try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { !$0.hasPrefix(".") }.sorted()
            .map { folder.appendingPathComponent($0) }
    }

    /// The demo run with its commentary: uncached, cached cold, cached warm and warm into a new
    /// folder all give the same bytes, file for file.
    @Test func cachedOutputIsByteIdentical() throws {
        try TemporaryFolder.with { tmp in
            let cache = tmp.appendingPathComponent("cache"), content = Fixtures.url("Site/commentary").path
            let plain = tmp.appendingPathComponent("plain"), site = tmp.appendingPathComponent("site")
            let uncached = try Self.build(Fixtures.topicsMini, plain, cache: nil, content: content)
            #expect(uncached.summary.layersAnalysed == uncached.summary.layers && !uncached.summary.incremental)
            let expected = try SiteTestKit.snapshot(plain)

            let cold = try Self.build(Fixtures.topicsMini, site, cache: cache, content: content)
            #expect(cold.summary.layersAnalysed == cold.summary.layers)
            #expect(try SiteTestKit.snapshot(site) == expected)

            let warm = try Self.build(Fixtures.topicsMini, site, cache: cache, content: content)
            #expect(warm.summary.layersAnalysed == 0 && warm.summary.layersLaidOut == 0 && warm.summary.incremental)
            #expect(warm.summary.written == 0)
            #expect(warm.summary.rendered <= 2)   // 404.html (and sitemap.xml) always; no page
            #expect(try SiteTestKit.snapshot(site) == expected)

            let elsewhere = tmp.appendingPathComponent("elsewhere")
            let fresh = try Self.build(Fixtures.topicsMini, elsewhere, cache: cache, content: content)
            #expect(fresh.summary.layersAnalysed == 0 && !fresh.summary.incremental && fresh.summary.rendered == fresh.summary.files)
            #expect(try SiteTestKit.snapshot(elsewhere) == expected)
        }
    }

    /// Commentary, templates and the base URL re-render; the run, a view and `--umap-layers`
    /// re-analyse (the last only the layers it changes). Each rebuild equals an uncached build.
    @Test func eachInputInvalidatesWhatItMust() throws {
        try TemporaryFolder.with { tmp in
            let cache = tmp.appendingPathComponent("cache"), site = tmp.appendingPathComponent("site")
            let content = tmp.appendingPathComponent("content"), templates = tmp.appendingPathComponent("templates")
            try FileManager.default.createDirectory(at: content.appendingPathComponent("layers"), withIntermediateDirectories: true)
            try FileManager.default.createDirectory(at: templates, withIntermediateDirectories: true)
            let run = tmp.appendingPathComponent("run")
            try FileManager.default.copyItem(atPath: Fixtures.treeF32, toPath: run.path)
            let layers = try RunReader(directory: run.path).run.layers
            func rebuild(_ change: (inout BuildOptions) -> Void = { _ in }) throws -> BuildSummary {
                let summary = try Self.build(run.path, site, cache: cache, content: content.path, templates: templates.path, change: change).summary
                let plain = tmp.appendingPathComponent("plain-\(UUID().uuidString)")
                _ = try Self.build(run.path, plain, cache: nil, content: content.path, templates: templates.path, change: change)
                #expect(try SiteTestKit.snapshot(site) == SiteTestKit.snapshot(plain))
                return summary
            }
            _ = try rebuild()
            let unchanged = try rebuild()
            #expect(unchanged.layersAnalysed == 0 && unchanged.written == 0)

            // Commentary of one layer: that page alone.
            try "Layer *note*.".write(to: content.appendingPathComponent("layers/\(layers[1]).md"), atomically: true, encoding: .utf8)
            let commentary = try rebuild()
            #expect(commentary.layersAnalysed == 0 && commentary.written == 1 && commentary.incremental)
            #expect(try SiteTestKit.text(site.appendingPathComponent("layers/\(layers[1]).html")).contains("<em>note</em>"))

            // A template: every page of its kind re-rendered, nothing analysed.
            let footer = try String(contentsOf: Fixtures.templates.appendingPathComponent("footer.mustache"), encoding: .utf8)
            try (footer + "<!-- edited -->").write(to: templates.appendingPathComponent("footer.mustache"), atomically: true, encoding: .utf8)
            let template = try rebuild()
            #expect(template.layersAnalysed == 0 && template.rendered == template.files && template.written > layers.count)

            // The base URL: rendered again (the 404 page and the sitemap change), nothing analysed.
            let baseURL = try rebuild { $0.baseURL = "https://example.org/r/" }
            #expect(baseURL.layersAnalysed == 0 && baseURL.rendered == baseURL.files)

            // --umap-layers: only the layers whose UMAP it turns on or off.
            let someUMAP = try rebuild { $0.baseURL = "https://example.org/r/"; $0.analysis.umapLayers = [layers[0]] }
            #expect(someUMAP.layersAnalysed == layers.count - 1)

            // A view: every layer.
            let views = try rebuild { $0.baseURL = "https://example.org/r/"; $0.analysis.views = [.raw, .positionMean] }
            #expect(views.layersAnalysed == layers.count && !views.incremental)

            // The run's bytes: every layer.
            let manifest = run.appendingPathComponent("run.json")
            try (String(contentsOf: manifest, encoding: .utf8) + " ").write(to: manifest, atomically: true, encoding: .utf8)
            let runChange = try rebuild { $0.baseURL = "https://example.org/r/"; $0.analysis.views = [.raw, .positionMean] }
            #expect(runChange.layersAnalysed == layers.count)
        }
    }

    /// A truncated entry, a flipped byte and a well-formed entry of the wrong shape are each found,
    /// reported naming the file, removed and recomputed; the site is as without a cache.
    @Test(arguments: ["truncate", "flip", "wrong-shape"])
    func corruptEntriesAreRecomputed(_ damage: String) throws {
        try TemporaryFolder.with { tmp in
            let cache = tmp.appendingPathComponent("cache"), site = tmp.appendingPathComponent("site")
            _ = try Self.build(Fixtures.treeF32, site, cache: cache)
            let expected = try SiteTestKit.snapshot(site)
            // Every layer's entries (not the small record of the recommended view).
            let victims = try Self.entries(cache, .layer).filter { try Data(contentsOf: $0).count > 1000 }
            #expect(!victims.isEmpty)
            for victim in victims {
                var bytes = try Data(contentsOf: victim)
                switch damage {
                case "truncate": bytes = bytes.prefix(bytes.count / 2)
                case "flip": bytes[bytes.count - 10] ^= 0x20
                default:
                    let payload = Data("{\"layer\":1}".utf8)
                    bytes = Data("\(AnalysisCache.header) \(Digest.hex(payload)) \(payload.count)\n".utf8) + payload
                }
                try bytes.write(to: victim)
            }

            let result = try Self.build(Fixtures.treeF32, site, cache: cache)
            for victim in victims {
                #expect(result.summary.cacheWarnings.contains { $0.file == victim.path && $0.message.contains("cache entry") })
                #expect(AnalysisCache.payload(of: try Data(contentsOf: victim)) != nil)   // stored again, whole
            }
            #expect(result.warnings.allSatisfy { !$0.message.contains("cache") })   // never in report.json
            #expect(result.summary.layersAnalysed == result.summary.layers)
            #expect(try SiteTestKit.snapshot(site) == expected)
        }
    }

    /// Builds on two threads share one cache (and race to store the same entries): each site is
    /// as without a cache, and every entry left is whole.
    @Test func concurrentBuildsShareACache() throws {
        try TemporaryFolder.with { tmp in
            let cache = tmp.appendingPathComponent("cache")
            let plain = tmp.appendingPathComponent("plain")
            _ = try Self.build(Fixtures.treeF32, plain, cache: nil)
            let expected = try SiteTestKit.snapshot(plain)
            let outs = (0..<4).map { tmp.appendingPathComponent("site\($0)") }
            let failures = Failures()
            DispatchQueue.concurrentPerform(iterations: outs.count) { i in
                do { _ = try Self.build(Fixtures.treeF32, outs[i], cache: cache) } catch { failures.add("\(error)") }
            }
            #expect(failures.all.isEmpty)
            for out in outs { #expect(try SiteTestKit.snapshot(out) == expected) }
            for entry in try Self.entries(cache, .layer) + Self.entries(cache, .site) {
                #expect(AnalysisCache.payload(of: try Data(contentsOf: entry)) != nil, "\(entry.lastPathComponent)")
            }
        }
    }

    /// An incremental rebuild puts back a page edited or removed by hand and removes a stray file.
    @Test func incrementalWritesRepairTheSite() throws {
        try TemporaryFolder.with { tmp in
            let cache = tmp.appendingPathComponent("cache"), site = tmp.appendingPathComponent("site")
            _ = try Self.build(Fixtures.treeF32, site, cache: cache)
            let expected = try SiteTestKit.snapshot(site)
            try "defaced".write(to: site.appendingPathComponent("index.html"), atomically: true, encoding: .utf8)
            let layerPage = try #require(expected.keys.first { $0.hasPrefix("layers/") && $0.hasSuffix(".html") })
            try FileManager.default.removeItem(at: site.appendingPathComponent(layerPage))
            try "stray".write(to: site.appendingPathComponent("stray.txt"), atomically: true, encoding: .utf8)
            let result = try Self.build(Fixtures.treeF32, site, cache: cache)
            #expect(result.summary.incremental && result.summary.written == 2)
            #expect(try SiteTestKit.snapshot(site) == expected)
        }
    }

    /// A cache that keeps entries in memory (serve's) rebuilds without reading them back, and
    /// keeps no more than it was told to.
    @Test func entriesKeptInMemoryAreNotReadAgain() throws {
        try TemporaryFolder.with { tmp in
            let folder = tmp.appendingPathComponent("cache"), site = tmp.appendingPathComponent("site")
            let cache = try AnalysisCache(directory: folder.path, inMemory: 1024)
            func build() throws -> BuildSummary {
                var options = BuildOptions(run: Fixtures.treeF32, out: site.path)
                options.cache = cache
                return try Build.run(options).summary
            }
            _ = try build()
            let expected = try SiteTestKit.snapshot(site)
            for entry in try Self.entries(folder, .layer) { try FileManager.default.removeItem(at: entry) }
            let again = try build()
            #expect(again.layersAnalysed == 0 && again.layersLaidOut == 0 && cache.warnings.isEmpty)
            #expect(try SiteTestKit.snapshot(site) == expected)

            let small = try AnalysisCache(directory: folder.path, inMemory: 2)
            for key in ["a", "b", "c"] { small.store(key, .layer, key: key) }
            for key in ["a", "b", "c"] { try FileManager.default.removeItem(atPath: small.path(.layer, key)) }
            #expect(small.load(String.self, .layer, key: "a") == nil)   // dropped from memory, gone from disk
            #expect(small.load(String.self, .layer, key: "c") == "c")
        }
    }

    /// What `forkscope build` prints about the cache.
    @Test func summaryLines() {
        var warm = BuildSummary(layers: 31)
        (warm.files, warm.rendered, warm.written, warm.incremental) = (781, 2, 1, true)
        (warm.analysisSeconds, warm.renderSeconds, warm.writeSeconds) = (0.384, 0.1, 0.049)
        #expect(warm.lines == ["analysis: 31 of 31 layers from the cache (0.38 s)", "render: 2 of 781 files rendered (0.1 s)",
                               "write: 1 changed file written in place (0.05 s)"])
        var cold = BuildSummary(layers: 1)
        (cold.layersAnalysed, cold.files, cold.rendered, cold.written, cold.analysisSeconds) = (1, 9, 9, 9, 31.4)
        #expect(cold.lines[0] == "analysis: 1 layer analysed (31 s)" && cold.lines[2] == "write: 9 files, the site replaced as a whole (0.0 s)")
    }

    /// Past its limit the cache drops the least recently used entries first.
    @Test func pruningDropsTheLeastRecentlyUsed() throws {
        try TemporaryFolder.with { tmp in
            let cache = try AnalysisCache(directory: tmp.path, limit: 2500)
            let blob = String(repeating: "x", count: 1000)
            for (i, key) in ["old", "mid", "new"].enumerated() {
                cache.store(blob, .layer, key: key)
                try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: Double(i - 10) * 60)],
                                                      ofItemAtPath: cache.path(.layer, key))
            }
            #expect(cache.load(String.self, .layer, key: "old") == blob)   // used now: the newest
            #expect(cache.prune() == 1)
            #expect(cache.load(String.self, .layer, key: "mid") == nil)
            #expect(cache.load(String.self, .layer, key: "old") == blob && cache.load(String.self, .layer, key: "new") == blob)
        }
    }
}

/// Errors collected from several threads.
private final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var list = [String]()
    func add(_ s: String) { lock.withLock { list.append(s) } }
    var all: [String] { lock.withLock { list } }
}
