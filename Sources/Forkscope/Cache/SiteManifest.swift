import Foundation

/// What a build last wrote to an output folder: each file's render key (`RenderKeys`) and the
/// size, modification time and inode it had once written. A rebuild skips a file whose key is
/// unchanged while the file on disk still has those (as make and git trust a file's stat): a file
/// edited, replaced or removed since is rendered again.
struct SiteManifest: Codable, Sendable {
    struct Entry: Codable, Equatable, Sendable {
        var key: String
        var stamp: Stamp
    }

    struct Stamp: Codable, Equatable, Sendable {
        var size: Int
        var modifiedNanoseconds: Int64
        var inode: UInt64

        /// The stamp of a regular file (not followed through a symbolic link); nil for anything else.
        init?(path: String) {
            var info = stat()
            guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
            size = Int(info.st_size)
            modifiedNanoseconds = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
            inode = UInt64(info.st_ino)
        }
    }

    var files: [String: Entry]

    /// The cache key of the manifest of the folder `out` (by its absolute, resolved path).
    static func cacheKey(out: String) -> String {
        Digest.hex(fields: ["site", URL(fileURLWithPath: out).standardizedFileURL.resolvingSymlinksInPath().path])
    }

    /// Whether `out/path` is still as this manifest recorded it under `key`.
    func unchanged(_ path: String, key: String, in out: String) -> Bool {
        guard let entry = files[path], entry.key == key else { return false }
        return Stamp(path: (out as NSString).appendingPathComponent(path)) == entry.stamp
    }

    /// The manifest of files just written to `out` under their keys; files that cannot be
    /// stamped are left out (rendered again next time).
    init(keys: [String: String], out: String) {
        files = [:]
        for (path, key) in keys {
            if let stamp = Stamp(path: (out as NSString).appendingPathComponent(path)) { files[path] = Entry(key: key, stamp: stamp) }
        }
    }
}
