import ArgumentParser
import Forkscope
import Foundation

struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare two or more versions of a model over the same branches.",
        discussion: """
            Given two runs: linear CKA between A and B at each pair of layers, for raw and each \
            debiased view, B's PCA turned onto A's, the tokens whose neighbourhoods changed most, the \
            layer x layer CKA maps, and every measure of A and B (each analysed as a build would, \
            without UMAP) with the change. Given two built reports (their folders or report.json): \
            the measures. --out writes a static site (with diff.json, forkscope.diff/1); --text \
            prints the diff. --fail-if exits with status 1 when a layer meets a condition. Every CKA \
            comes with its calibration: debiased CKA, a permutation null and mutual kNN agreement.

            Given three or more runs (a series of checkpoints or quantisations), each version is \
            compared with the first (--against first) or with the one before it (--against \
            previous): the site shows per view a version x layer map of CKA and of debiased CKA, \
            every measure of every version across versions, and each pair's own diff site.
            """)

    @Argument(help: "A: a run folder (holding run.json), or a built report (its folder or report.json).")
    var a: String

    @Argument(help: "B: the same for the other model version.")
    var b: String

    @Argument(help: "More versions (runs), in order: a series.")
    var more: [String] = []

    @Option(help: ArgumentHelp("What to call the versions, in order, separated by commas (default: each run's model.version).", valueName: "l1,l2,..."))
    var labels: String?

    @Option(help: "Compare each version with the first, or with the one before it.")
    var against: SeriesDiff.Baseline = .first

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
            help: ArgumentHelp("Exit 1 if any layer (of any pair) meets this: NAME<VALUE (or <=, >, >=), NAME cka, cka_debiased, cka_null_mean, cka_null_p95 or mutual_knn (of every view, or one: cka.VIEW), a measure or delta.MEASURE, e.g. cka<0.9, cka.position_mean<0.8, cka_debiased.raw<0.5, position_probe>0.2, delta.trustworthiness<-0.05. Repeatable.", valueName: "condition"))
    var failIf: [FailCondition] = []

    @OptionGroup var viewOptions: ViewOptions

    @Option(help: "Text: list only measures that changed by more than this.")
    var changesAbove = 0.0

    @Option(help: "Threads (default: every core). The result does not depend on it.")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "Replace the output folder even if forkscope did not write it.")
    var force = false

    @Flag(help: "Print nothing but errors, warnings and --text.")
    var quiet = false

    func validate() throws {
        guard text || out != nil else { throw ValidationError("Give --out DIR for the site, --text for the text diff, or both.") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        if let names = labelList, names.count != 2 + more.count {
            throw ValidationError("--labels names \(names.count) versions; \(2 + more.count) were given")
        }
    }

    var labelList: [String]? { labels.map { $0.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) } } }

    /// What the engine is asked to compare.
    var diffOptions: DiffOptions {
        var analysis = LayerAnalysis.Options()
        viewOptions.apply(to: &analysis)
        var options = DiffOptions(a: a, b: b)
        options.later = more
        options.labels = labelList
        options.against = against
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
        return options
    }

    func run() throws {
        try ErrorReport.run {
            // Gates that could never fail are refused before anything is written.
            let result = try DiffBuild.run(diffOptions) { runs, measures in
                if let problem = DiffText.unmatched(failIf, similarity: runs, measures: measures).first {
                    throw ValidationError("--fail-if: \(problem)")
                }
            }
            for w in result.warnings { ErrorReport.stderr("forkscope: warning: \(w)") }
            if text { print(DiffText.render(result, changesAbove: changesAbove), terminator: "") }
            if let out, !quiet { ErrorReport.stderr("Wrote \(result.files) files to \(out)/ — open \(out)/index.html") }
            let failures = DiffText.failures(failIf, result)
            if !failures.isEmpty {
                for line in failures { ErrorReport.stderr("forkscope: fail-if: \(line)") }
                throw ExitCode.failure
            }
        }
    }
}
