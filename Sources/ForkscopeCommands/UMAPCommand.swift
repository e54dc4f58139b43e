import ArgumentParser
import Forkscope
import ForkscopeNumerics
import Foundation

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

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        try ErrorReport.run(prefix: "") {
            let x = try NumpyArray.read(URL(fileURLWithPath: input))
            BLASThreads.set(1)
            let result = UMAP(options: umap.options).embed(Matrix(rows: x.rows, cols: x.cols, storage: x.values), threads: threads)
            try NumpyArray.write(rows: x.rows, cols: 2, values: result.layout.storage, to: URL(fileURLWithPath: out))
            for (stage, seconds) in result.seconds { ErrorReport.stderr("\(stage)\t\(seconds)") }
            if result.initialisation == .random { ErrorReport.stderr("warning: spectral initialisation failed; random start") }
        }
    }
}
