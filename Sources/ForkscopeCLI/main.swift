import ArgumentParser
import Forkscope
import ForkscopeNumerics
import Foundation

struct ForkscopeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forkscope",
        abstract: "Static reports of how a language model's hidden states move across branches of generation.",
        version: Forkscope.version,
        subcommands: [BuildCommand.self, DiffCommand.self, UMAPCommand.self])
}

struct BuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build a static report site from an activation run (forkscope.run/1).")

    @Argument(help: "The run folder (holding run.json).")
    var runFolder: String?

    @Option(help: "The folder to write the site into (replaced atomically).")
    var out: String?

    @Option(help: "A folder of Markdown commentary: index.md, layers/<L>.md, branches/<id>.md. Default: the run's commentary/ folder.")
    var content: String?

    @Option(help: "A folder of templates overriding the built-in theme by file name.")
    var templates: String?

    @Option(help: "A JSON file with defaults for run, out, content and templates (paths relative to it).")
    var config: String?

    @Option(help: "The address the site will be served from, e.g. https://example.org/reports/run1/: for sitemap.xml and 404.html (every other link stays relative).")
    var baseURL: String?

    @OptionGroup var viewOptions: ViewOptions

    @Option(help: "Comma-separated projections to draw: pca, umap.")
    var projections = "pca,umap"

    @Option(help: "Comma-separated layers to run UMAP on (default: all).")
    var umapLayers: String?

    @OptionGroup var umap: UMAPOptions

    @Option(help: "Threads (default: every core). The report does not depend on it.")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "Replace the output folder even if forkscope did not write it.")
    var force = false

    @Flag(help: "Print nothing but errors and warnings.")
    var quiet = false

    @Option(help: "Write each stage's wall time, CPU time and peak memory to this JSON file (forkscope.timings/1).")
    var timings: String?

    func run() throws {
        do {
            let settings = try config.map(SiteConfiguration.init(file:))
            guard let runPath = runFolder ?? settings?.run else {
                throw ValidationError("Give a run folder (or a --config naming one).")
            }
            guard let outPath = out ?? settings?.out else {
                throw ValidationError("Give --out DIR (or a --config naming one).")
            }
            var options = BuildOptions(run: runPath, out: outPath,
                                       content: content ?? settings?.content,
                                       templates: templates ?? settings?.templates)
            options.force = force
            options.baseURL = baseURL
            options.analysis = try analysisOptions()
            if timings != nil { options.timings = StageTimings() }
            let progress = Progress(enabled: !quiet)
            let result = try Build.run(options, progress: progress.report)
            progress.finish()
            if let timings, let figures = options.timings {
                do { try figures.json(threads: threads).write(to: URL(fileURLWithPath: timings)) } catch {
                    throw InputError(file: timings, "cannot be written")
                }
            }
            for w in result.warnings { FileHandle.standardError.write(Data("forkscope: warning: \(w)\n".utf8)) }
            if !quiet { print("Wrote \(result.files) files to \(outPath)/ — open \(outPath)/index.html") }
        } catch let error as InputError {
            FileHandle.standardError.write(Data("forkscope: error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}

extension BuildCommand {
    func analysisOptions() throws -> LayerAnalysis.Options {
        var o = LayerAnalysis.Options()
        try viewOptions.apply(to: &o)
        let projected = projections.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard projected.allSatisfy({ $0 == "pca" || $0 == "umap" }), projected.contains("pca") else {
            throw ValidationError("--projections: a comma-separated list of pca and umap, with pca (its measures are always computed)")
        }
        o.umap = projected.contains("umap")
        o.umapOptions = try umap.options()
        if let umapLayers {
            o.umapLayers = Set(try umapLayers.split(separator: ",").map { part in
                guard let layer = Int(part.trimmingCharacters(in: .whitespaces)) else {
                    throw ValidationError("--umap-layers: \"\(part)\" is not a layer index")
                }
                return layer
            })
        }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        o.threads = threads
        return o
    }
}

struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare two versions of a model over the same branches.",
        discussion: """
            Given two runs: linear CKA between A and B at each pair of layers, for raw and each \
            debiased view, B's PCA turned onto A's, the tokens whose neighbourhoods changed most, the \
            layer x layer CKA maps, and every measure of A and B (each analysed as a build would, \
            without UMAP) with the change. Given two built reports (their folders or report.json): \
            the measures. --out writes a static site (with diff.json, forkscope.diff/1); --text \
            prints the diff. --fail-if exits with status 1 when a layer meets a condition.
            """)

    @Argument(help: "A: a run folder (holding run.json), or a built report (its folder or report.json).")
    var a: String

    @Argument(help: "B: the same for the other model version.")
    var b: String

    @Option(help: "The folder to write the diff site into (replaced atomically).")
    var out: String?

    @Flag(help: "Print the diff as text.")
    var text = false

    @Option(help: "A folder of Markdown commentary: index.md, layers/<L>.md (A's layer indices).")
    var content: String?

    @Option(help: "A folder of templates overriding the built-in theme by file name (diff.mustache, diff-layer.mustache, ...).")
    var templates: String?

    @Option(help: "The address the site will be served from: for sitemap.xml and 404.html, as for build.")
    var baseURL: String?

    @Option(name: .customLong("fail-if"),
            help: "Exit 1 if any layer meets this, e.g. cka<0.9, cka.position_mean<0.8, position_probe>0.2, delta.trustworthiness<-0.05. Repeatable.")
    var failIf: [String] = []

    @OptionGroup var viewOptions: ViewOptions

    @Option(help: "Text: list only measures that changed by more than this.")
    var changesAbove = 0.0

    @Option(help: "Threads (default: every core). The result does not depend on it.")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "Replace the output folder even if forkscope did not write it.")
    var force = false

    @Flag(help: "Print nothing but errors, warnings and --text.")
    var quiet = false

    func run() throws {
        guard text || out != nil else { throw ValidationError("Give --out DIR for the site, --text for the text diff, or both.") }
        let conditions = try failIf.map { spec in
            guard let c = FailCondition(spec) else {
                throw ValidationError("--fail-if: \"\(spec)\" is not NAME<VALUE (or <=, >, >=), NAME cka, cka.VIEW, a measure or delta.MEASURE")
            }
            return c
        }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        var analysis = LayerAnalysis.Options()
        try viewOptions.apply(to: &analysis)
        var options = DiffOptions(a: a, b: b)
        options.out = out
        options.content = content
        options.templates = templates
        options.views = analysis.views
        options.settings = analysis.debias
        options.massiveRatio = analysis.massiveRatio
        options.keepMassive = analysis.keepMassive
        options.force = force
        options.baseURL = baseURL
        options.threads = threads
        do {
            // Gates that could never fail are refused before anything is written.
            let result = try DiffBuild.run(options) { runs, measures in
                if let problem = DiffText.unmatched(conditions, similarity: runs, measures: measures).first {
                    throw ValidationError("--fail-if: \(problem)")
                }
            }
            for w in result.warnings { FileHandle.standardError.write(Data("forkscope: warning: \(w)\n".utf8)) }
            if text { print(DiffText.render(similarity: result.runs, measures: result.measures, changesAbove: changesAbove), terminator: "") }
            if let out, !quiet {
                FileHandle.standardError.write(Data("Wrote \(result.files) files to \(out)/ — open \(out)/index.html\n".utf8))
            }
            let failures = DiffText.failures(conditions, similarity: result.runs, measures: result.measures)
            if !failures.isEmpty {
                for line in failures { FileHandle.standardError.write(Data("forkscope: fail-if: \(line)\n".utf8)) }
                throw ExitCode.failure
            }
        } catch let error as InputError {
            FileHandle.standardError.write(Data("forkscope: error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}

/// The views and how they are fitted: shared by build and diff.
struct ViewOptions: ParsableArguments {
    @Option(help: "Comma-separated views: raw, position_mean, regress, leace, abtt, zero_pe, each optionally +z (z-scored), e.g. raw,regress,regress+z. Default: all but the +z ones (zero_pe where the run has it).")
    var views: String?

    @Option(help: "A token whose norm exceeds this many times the layer's median is a massive activation.")
    var massiveRatio: Double = 10

    @Flag(help: "Keep massive activations in every fit and measure (by default they are left out).")
    var keepMassive = false

    @Option(help: "Polynomial degree of the smooth position basis (regress, leace).")
    var regressDegree = 3

    @Option(help: "Fourier terms of the smooth position basis (regress, leace).")
    var regressFourier = 4

    @Option(help: "The concept LEACE erases: basis (smooth position basis), onehot (one column per position) or both.")
    var leaceConcept = "basis"

    @Option(help: "Principal directions all-but-the-top removes (default: hidden size / 100).")
    var abttComponents: Int?

    static func parseViews(_ list: String) throws -> [View] {
        try list.split(separator: ",").map { name in
            guard let view = View(name: name.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("--views: unknown view \"\(name)\" (known: \(View.Base.allCases.map(\.rawValue).joined(separator: ", ")), each optionally +z)")
            }
            return view
        }
    }

    func apply(to o: inout LayerAnalysis.Options) throws {
        if let views { o.views = try Self.parseViews(views) }
        guard massiveRatio > 1 else { throw ValidationError("--massive-ratio must be above 1") }
        guard regressDegree >= 0, regressFourier >= 0, regressDegree + regressFourier > 0 else {
            throw ValidationError("--regress-degree and --regress-fourier must be non-negative and not both 0")
        }
        guard let concept = DebiasSettings.LeaceConcept(rawValue: leaceConcept) else {
            throw ValidationError("--leace-concept must be basis, onehot or both")
        }
        if let abttComponents, abttComponents < 1 { throw ValidationError("--abtt-components must be at least 1") }
        o.massiveRatio = massiveRatio
        o.keepMassive = keepMassive
        o.debias.regressDegree = regressDegree
        o.debias.regressFourier = regressFourier
        o.debias.leaceConcept = concept
        o.debias.abttComponents = abttComponents
    }
}

/// Progress on stderr, only when stderr is a terminal.
struct Progress {
    let enabled: Bool
    init(enabled: Bool) { self.enabled = enabled && isatty(2) == 1 }

    func report(_ stage: String) {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K\(stage)".utf8))
    }

    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}

ForkscopeCommand.main()

struct UMAPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "umap",
        abstract: "Lay out the rows of a .npy matrix with Forkscope's UMAP (for benchmarks and scripts).",
        discussion: "Prints each stage's wall time on stderr as `stage<TAB>seconds`.")

    @Argument(help: "An n x d .npy file (f2, f4 or f8, C order).")
    var input: String

    @Option(help: "Where to write the n x 2 layout (.npy, f8).")
    var out: String

    @OptionGroup var umap: UMAPOptions

    @Option(help: "Threads (default: every core). The layout does not depend on it.")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    func run() throws {
        do {
            let x = try NumpyArray.read(URL(fileURLWithPath: input))
            BLASThreads.set(1)
            let result = UMAP(options: try umap.options()).embed(Matrix(rows: x.rows, cols: x.cols, storage: x.values), threads: threads)
            try NumpyArray.write(rows: x.rows, cols: 2, values: result.layout.storage, to: URL(fileURLWithPath: out))
            for (stage, seconds) in result.seconds { FileHandle.standardError.write(Data("\(stage)\t\(seconds)\n".utf8)) }
            if result.initialisation == .random { FileHandle.standardError.write(Data("warning: spectral initialisation failed; random start\n".utf8)) }
        } catch let error as InputError {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}

/// UMAP's options, shared by `build` and `umap`.
struct UMAPOptions: ParsableArguments {
    @Option(help: "UMAP: neighbours per point (umap-learn's n_neighbors).")
    var umapNeighbours = 15

    @Option(help: "UMAP: min_dist.")
    var umapMinDist = 0.1

    @Option(help: "UMAP: spread.")
    var umapSpread = 1.0

    @Option(help: "UMAP: epochs (default 500 up to 10,000 points, 200 above).")
    var umapEpochs: Int?

    @Option(help: "UMAP: input metric, euclidean or cosine.")
    var umapMetric = "euclidean"

    @Option(help: "UMAP: random seed.")
    var umapSeed: UInt64 = 42

    @Option(help: "UMAP: how the layout starts, spectral or random (umap-learn's init).")
    var umapInit = "spectral"

    func options() throws -> UMAP.Options {
        var o = UMAP.Options()
        guard umapNeighbours >= 2 else { throw ValidationError("--umap-neighbours must be at least 2") }
        guard umapMinDist >= 0, umapSpread > 0, umapMinDist <= umapSpread else { throw ValidationError("--umap-min-dist must lie in [0, --umap-spread]") }
        o.neighbours = umapNeighbours; o.minDist = umapMinDist; o.spread = umapSpread; o.epochs = umapEpochs; o.seed = umapSeed
        guard let start = SpectralLayout.Outcome(rawValue: umapInit) else {
            throw ValidationError("--umap-init must be spectral or random, not \(umapInit)")
        }
        o.initialisation = start
        switch umapMetric {
        case "euclidean": o.metric = .euclidean
        case "cosine": o.metric = .cosine
        default: throw ValidationError("--umap-metric must be euclidean or cosine, not \(umapMetric)")
        }
        return o
    }
}
