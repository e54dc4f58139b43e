import ArgumentParser
import Foundation
import Testing
import ForkscopeTestSupport
@testable import Forkscope
@testable import ForkscopeCommands

/// The command line (Sources/ForkscopeCommands): what each flag parses into, what is refused
/// before anything runs and with which message, the help, and the engine's errors named by flag.
struct ForkscopeCommandTests {
    static func build(_ arguments: [String]) throws -> BuildCommand {
        try #require(try ForkscopeCommand.parseAsRoot(["build"] + arguments) as? BuildCommand)
    }

    static func diff(_ arguments: [String]) throws -> DiffCommand {
        try #require(try ForkscopeCommand.parseAsRoot(["diff"] + arguments) as? DiffCommand)
    }

    /// The message ArgumentParser prints for arguments it refuses.
    static func refusal(_ arguments: [String]) -> String? {
        do {
            _ = try ForkscopeCommand.parseAsRoot(arguments)
            return nil
        } catch {
            return ForkscopeCommand.message(for: error)
        }
    }

    @Test func buildFlagsBecomeTheEngineOptions() throws {
        let command = try Self.build(["run", "--out", "site", "--views", "raw, leace+z", "--projections", "pca",
                                      "--umap-layers", "3,5", "--leace-concept", "onehot", "--umap-metric", "cosine",
                                      "--umap-init", "random", "--massive-ratio", "20", "--keep-massive", "--threads", "1"])
        let o = command.analysisOptions
        #expect(o.views == [.raw, View(.leace, standardized: true)])
        #expect(o.projections == [.pca])
        #expect(o.umapLayers == [3, 5])
        #expect(o.debias.leaceConcept == .onehot)
        #expect(o.umapOptions.metric == .cosine && o.umapOptions.initialisation == .random)
        #expect(o.massiveRatio == 20 && o.keepMassive && o.threads == 1)
    }

    @Test func buildDefaultsAreTheEngineDefaults() throws {
        let o = try Self.build(["run", "--out", "site"]).analysisOptions
        let engine = LayerAnalysis.Options()
        #expect(o.views == engine.views && o.projections == engine.projections && o.umapLayers == nil)
        #expect(o.umapOptions == engine.umapOptions && o.debias == engine.debias && o.massiveRatio == engine.massiveRatio)
    }

    @Test(arguments: [
        (["build", "r", "--views", "raw,bogus"], "--views"),
        (["build", "r", "--projections", "umap"], "--projections"),
        (["build", "r", "--projections", "pca,tsne"], "--projections"),
        (["build", "r", "--umap-layers", "3,x"], "--umap-layers"),
        (["build", "r", "--leace-concept", "all"], "--leace-concept"),
        (["build", "r", "--umap-metric", "manhattan"], "--umap-metric"),
        (["build", "r", "--umap-neighbours", "1"], "--umap-neighbours must be at least 2"),
        (["build", "r", "--umap-min-dist", "2"], "--umap-min-dist must lie in [0, --umap-spread]"),
        (["build", "r", "--umap-epochs=-1"], "--umap-epochs must not be negative"),
        (["build", "r", "--threads", "0"], "--threads must be at least 1"),
        (["build", "r", "--massive-ratio", "1"], "--massive-ratio must be above 1"),
        (["build", "r", "--regress-degree", "0", "--regress-fourier", "0"], "--regress-degree and --regress-fourier"),
        (["build", "r", "--abtt-components", "0"], "--abtt-components must be at least 1"),
        (["diff", "a", "b"], "Give --out DIR for the site, --text for the text diff, or both."),
        (["diff", "a", "b", "--text", "--fail-if", "cka<<0.9"], "--fail-if"),
        (["umap", "x.npy", "--out", "y.npy", "--umap-neighbours", "0"], "--umap-neighbours must be at least 2"),
    ])
    func badArgumentsAreRefusedNamingTheFlag(arguments: [String], mention: String) {
        let message = Self.refusal(arguments)
        #expect(message?.contains(mention) == true, "\(arguments): \(message ?? "accepted")")
    }

    @Test func diffFlagsBecomeTheEngineOptions() throws {
        let command = try Self.diff(["A", "B", "--text", "--fail-if", "cka.raw<0.9", "--fail-if", "delta.trustworthiness<-0.05",
                                     "--views", "raw,position_mean", "--threads", "1"])
        #expect(command.failIf == [FailCondition("cka.raw<0.9")!, FailCondition("delta.trustworthiness<-0.05")!])
        let o = command.diffOptions
        #expect(o.a == "A" && o.b == "B" && o.out == nil && o.views == [.raw, .positionMean] && o.threads == 1)
    }

    /// A series: runs after B, --labels (one per version), --against.
    @Test func diffOfASeries() throws {
        let command = try Self.diff(["A", "B", "C", "--out", "o", "--labels", "one, two,three", "--against", "previous"])
        let o = command.diffOptions
        #expect(o.versions == ["A", "B", "C"] && o.labels == ["one", "two", "three"] && o.against == .previous)
        #expect(try Self.diff(["A", "B", "--out", "o"]).diffOptions.against == .first)
        #expect(Self.refusal(["diff", "A", "B", "C", "--out", "o", "--labels", "one,two"])?.contains("--labels names 2 versions; 3 were given") == true)
        #expect(Self.refusal(["diff", "A", "B", "--out", "o", "--against", "last"])?.contains("--against") == true)
        #expect(ForkscopeCommand.helpMessage(for: DiffCommand.self).contains("cka_debiased"))
    }

    @Test func helpListsTheChoices() {
        let help = ForkscopeCommand.helpMessage(for: BuildCommand.self)
        for words in ["--projections <list>", "--umap-layers <list>", "--views <list>", "--leace-concept <leace-concept>",
                      "basis", "onehot", "euclidean", "cosine", "spectral", "random", "--force", "--timings"] {
            #expect(help.contains(words), "build help lacks \(words)")
        }
        let diffHelp = ForkscopeCommand.helpMessage(for: DiffCommand.self)
        #expect(diffHelp.contains("--fail-if <condition>") && diffHelp.contains("delta.MEASURE"))
        #expect(ForkscopeCommand.helpMessage().contains("build") && ForkscopeCommand.helpMessage().contains("umap"))
    }

    @Test func engineSettingErrorsAreNamedByTheirFlags() {
        #expect(ErrorReport.line(.baseURL("ftp://x")).hasPrefix("--base-url: \"ftp://x\" is not an http(s) address"))
        #expect(ErrorReport.line(.umapLayers(run: "r/run.json", missing: [7, 9]))
                == "r/run.json: layers: --umap-layers asks for layers 7, 9, which the run does not have")
        #expect(ErrorReport.line(.foreignOutput("out")) == "out: is not empty and was not written by forkscope; use --force to replace it")
        // The engine's own wording names no flag.
        for error in [SettingError.baseURL("x"), .umapLayers(run: "r", missing: [1]), .foreignOutput("o")] {
            #expect(!error.description.contains("--"), "\(error)")
        }
    }

    @Test func aBuildThroughTheCommandWritesTheSiteAndRefusesForeignFolders() throws {
        try TemporaryFolder.with { tmp in
            let out = tmp.appendingPathComponent("site").path, cache = tmp.appendingPathComponent("cache").path
            var command = try Self.build([Fixtures.treeF32, "--out", out, "--projections", "pca", "--quiet", "--threads", "1", "--cache", cache])
            try command.run()
            #expect(FileManager.default.fileExists(atPath: out + "/report.json"))
            #expect(FileManager.default.fileExists(atPath: out + "/index.html"))
            let entries = try FileManager.default.contentsOfDirectory(atPath: cache + "/v1/layer")
            #expect(entries.count >= 2)   // the layers' analyses went to the named cache

            let precious = tmp.appendingPathComponent("precious")
            try FileManager.default.createDirectory(at: precious, withIntermediateDirectories: true)
            try Data("keep".utf8).write(to: precious.appendingPathComponent("notes.txt"))
            command = try Self.build([Fixtures.treeF32, "--out", precious.path, "--projections", "pca", "--quiet", "--threads", "1", "--no-cache"])
            #expect(throws: ExitCode.self) { try command.run() }
            #expect(try FileManager.default.contentsOfDirectory(atPath: precious.path) == ["notes.txt"])
        }
    }

    @Test func cacheFlags() throws {
        #expect(try Self.build(["r", "--out", "o", "--no-cache"]).site.cacheOptions.open(warn: { _ in }) == nil)
        #expect(Self.refusal(["build", "r", "--out", "o", "--cache", "c", "--no-cache"])?.contains("--cache and --no-cache exclude each other") == true)
        try TemporaryFolder.with { tmp in
            let named = try #require(try Self.build(["r", "--cache", tmp.path + "/c"]).site.cacheOptions.open(warn: { _ in }))
            #expect(named.directory == tmp.path + "/c")
        }
        #expect(AnalysisCache.defaultDirectory(environment: ["XDG_CACHE_HOME": "/x", "HOME": "/h"]) == "/x/forkscope")
        #expect(AnalysisCache.defaultDirectory(environment: ["XDG_CACHE_HOME": "relative", "HOME": "/h"]) == "/h/.cache/forkscope")
        #expect(AnalysisCache.defaultDirectory(environment: [:]) == nil)
    }

    /// serve takes build's options, listens on loopback unless told otherwise, and checks its port.
    @Test func serveFlags() throws {
        let serve = try #require(try ForkscopeCommand.parseAsRoot(["serve", "run", "--views", "raw,leace", "--port", "0"]) as? ServeCommand)
        #expect(serve.host == "127.0.0.1" && serve.port == 0 && serve.runFolder == "run")
        #expect(serve.site.analysisOptions.views == [.raw, View(.leace)])
        let other = try #require(try ForkscopeCommand.parseAsRoot(["serve", "run", "--host", "0.0.0.0"]) as? ServeCommand)
        #expect(other.host == "0.0.0.0" && other.port == 8000)
        #expect(Self.refusal(["serve", "run", "--port", "70000"])?.contains("--port must lie in 0…65535") == true)
        #expect(Self.refusal(["serve", "run", "--threads", "0"])?.contains("--threads must be at least 1") == true)
    }
}
