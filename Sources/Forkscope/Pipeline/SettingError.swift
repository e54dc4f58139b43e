/// A problem with how a build or diff was asked for, rather than with a file's contents, in the
/// engine's terms. A front end names the setting as its users know it: the CLI maps each case to
/// its flag (`--base-url`, `--umap-layers`, `--force`) in `ForkscopeCommands`.
public enum SettingError: Error, Equatable, CustomStringConvertible {
    /// The address the site will be served from is not an http(s) address without query or fragment.
    case baseURL(String)
    /// UMAP was asked for at layers the run does not have.
    case umapLayers(run: String, missing: [Int])
    /// The output folder holds files Forkscope did not write; replacing it needs consent.
    case foreignOutput(String)

    /// The error as one line in the `InputError` style: file, field, problem.
    public var description: String { describe(baseURL: "base URL", umapLayers: "UMAP", replace: "allow replacing it") }

    /// The line with the settings named as a front end names them.
    public func describe(baseURL: String, umapLayers: String, replace: String) -> String {
        switch self {
        case .baseURL(let value):
            InputError(file: baseURL, "\"\(value)\" is not an http(s) address without query or fragment, e.g. https://example.org/reports/run1/").description
        case .umapLayers(let run, let missing):
            InputError(file: run, field: "layers", "\(umapLayers) asks for layer\(missing.count == 1 ? "" : "s") \(missing.map(String.init).joined(separator: ", ")), which the run does not have").description
        case .foreignOutput(let folder):
            InputError(file: folder, "is not empty and was not written by forkscope; \(replace)").description
        }
    }
}
