import Foundation

/// The files a served site is built from (the run, the commentary, the templates, the config),
/// as a fingerprint to poll: each regular file's path, size and modification time. Polling needs
/// nothing of the platform and costs microseconds for the few hundred files a site has.
struct WatchedFiles: Sendable {
    struct Stamp: Equatable, Sendable { var size: Int64; var modified: Int64 }

    let paths: [String]
    /// A folder never watched, even inside a watched one: the site being written.
    let ignoring: String

    /// Every regular file under the watched paths (following links), with its stamp.
    func fingerprint() -> [String: Stamp] {
        var out = [String: Stamp]()
        let ignored = URL(fileURLWithPath: ignoring).standardizedFileURL.path
        for root in paths {
            add(root, to: &out)
            guard let walk = FileManager.default.enumerator(atPath: root) else { continue }
            while let relative = walk.nextObject() as? String {
                let path = (root as NSString).appendingPathComponent(relative)
                let standard = URL(fileURLWithPath: path).standardizedFileURL.path
                if standard == ignored || standard.hasPrefix(ignored + "/") { walk.skipDescendants(); continue }
                add(path, to: &out)
            }
        }
        return out
    }

    private func add(_ path: String, to out: inout [String: Stamp]) {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return }
        out[path] = Stamp(size: Int64(info.st_size), modified: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec))
    }
}
