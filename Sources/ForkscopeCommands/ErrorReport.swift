import ArgumentParser
import Forkscope
import Foundation

/// How the commands report the engine's errors: one line on stderr, settings named by their
/// flags, and a failing exit status. Anything else propagates to ArgumentParser.
enum ErrorReport {
    static func run(prefix: String = "forkscope: ", _ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as InputError {
            stderr("\(prefix)error: \(error)")
            throw ExitCode.failure
        } catch let error as SettingError {
            stderr("\(prefix)error: \(line(error))")
            throw ExitCode.failure
        }
    }

    /// A `SettingError` with the settings named as this command line spells them.
    static func line(_ error: SettingError) -> String {
        error.describe(baseURL: "--base-url", umapLayers: "--umap-layers", replace: "use --force to replace it")
    }

    static func stderr(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
