import ArgumentParser
import Forkscope

/// Where a build keeps its analyses for the next one (`AnalysisCache`).
struct CacheOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The analysis cache folder (default: $XDG_CACHE_HOME/forkscope, else ~/.cache/forkscope).", valueName: "dir"))
    var cache: String?

    @Flag(help: "Neither read nor write the analysis cache: analyse every layer and replace the site as a whole.")
    var noCache = false

    func validate() throws {
        if noCache, cache != nil { throw ValidationError("--cache and --no-cache exclude each other") }
    }

    /// The cache to use: the one named, else the user's (none, with a warning, when it cannot be
    /// made), else none with `--no-cache`. `inMemory` entries stay decoded between builds.
    func open(inMemory: Int = 0, warn: (String) -> Void) throws -> AnalysisCache? {
        if noCache { return nil }
        if let cache { return try AnalysisCache(directory: cache, inMemory: inMemory) }
        guard let folder = AnalysisCache.defaultDirectory() else {
            warn("forkscope: warning: no cache folder (HOME and XDG_CACHE_HOME are unset); building without a cache")
            return nil
        }
        do { return try AnalysisCache(directory: folder, inMemory: inMemory) } catch {
            warn("forkscope: warning: \(error); building without a cache")
            return nil
        }
    }
}
