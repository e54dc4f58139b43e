import ArgumentParser
import Forkscope
import Foundation

struct BuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build a static report site from an activation run (forkscope.run/1).")

    @Argument(help: "The run folder (holding run.json).")
    var runFolder: String?

    @Option(help: "The folder to write the site into (replaced atomically).")
    var out: String?

    @OptionGroup var site: SiteArguments

    @Flag(help: "Replace the output folder even if forkscope did not write it.")
    var force = false

    @Flag(help: "Print nothing but errors and warnings.")
    var quiet = false

    @Option(help: "Write each stage's wall time, CPU time and peak memory to this JSON file (forkscope.timings/1).")
    var timings: String?

    /// What the engine is asked to analyse.
    var analysisOptions: LayerAnalysis.Options { site.analysisOptions }

    func run() throws {
        try ErrorReport.run {
            var options = try site.buildOptions(run: runFolder, out: out)
            options.force = force
            if timings != nil { options.timings = StageTimings() }
            let progress = Progress(enabled: !quiet)
            let result = try Build.run(options, progress: progress.report)
            progress.finish()
            if let timings, let figures = options.timings {
                do { try figures.json(threads: site.threads).write(to: URL(fileURLWithPath: timings)) } catch {
                    throw InputError(file: timings, "cannot be written")
                }
            }
            for w in result.warnings + result.summary.cacheWarnings { ErrorReport.stderr("forkscope: warning: \(w)") }
            if !quiet {
                for line in result.summary.lines { print(line) }
                print("The site (\(result.files) files) is in \(options.out)/ — open \(options.out)/index.html")
            }
        }
    }
}
