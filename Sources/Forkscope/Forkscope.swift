/// Forkscope: activation runs in, static reports out.
///
/// The build is a pipeline of named stages, one folder each:
/// `Run` (read) -> `Debias` -> `Project` -> `Measure` -> `Render` -> `Site` (write);
/// `Pipeline/Build.swift` strings them together.
public enum Forkscope {
    public static let version = "0.1.0"
}
