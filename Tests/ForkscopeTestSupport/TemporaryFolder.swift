import Foundation

/// Fresh, empty folders under the system's temporary directory for tests that write files.
public enum TemporaryFolder {
    /// Runs `body` with a new empty folder (`forkscope-tests-<UUID>`), removed with everything in
    /// it afterwards, whether `body` returns or throws.
    public static func with<T>(_ body: (URL) throws -> T) throws -> T {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("forkscope-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: url) }
        return try body(url)
    }
}
