import ArgumentParser
import Forkscope
import Foundation

struct ForkscopeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forkscope",
        abstract: "Static reports of how a language model's hidden states move across branches of generation.",
        version: Forkscope.version,
        subcommands: [BuildCommand.self])
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

    @Flag(help: "Replace the output folder even if forkscope did not write it.")
    var force = false

    @Flag(help: "Print nothing but errors and warnings.")
    var quiet = false

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
            options.analysis = try analysisOptions()
            let progress = Progress(enabled: !quiet)
            let result = try Build.run(options, progress: progress.report)
            progress.finish()
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
        if let views {
            o.views = try views.split(separator: ",").map { name in
                guard let view = View(name: name.trimmingCharacters(in: .whitespaces)) else {
                    throw ValidationError("--views: unknown view \"\(name)\" (known: \(View.Base.allCases.map(\.rawValue).joined(separator: ", ")), each optionally +z)")
                }
                return view
            }
        }
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
        return o
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
