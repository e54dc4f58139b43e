import ArgumentParser
import Forkscope

/// `forkscope`: the command line, a thin layer over the engine (`Build`, `SiteServer`, `DiffBuild`, `UMAP`).
/// In a library so that tests can parse and run it; the executable calls `main()`.
public struct ForkscopeCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "forkscope",
        abstract: "Static reports of how a language model's hidden states move across branches of generation.",
        version: Forkscope.version,
        subcommands: [BuildCommand.self, ServeCommand.self, DiffCommand.self, UMAPCommand.self])

    public init() {}
}
