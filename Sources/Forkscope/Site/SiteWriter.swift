import Foundation

/// Writes a site atomically: everything goes into a staging folder beside the output folder,
/// which replaces the output folder only once complete. A failed build leaves the previous site
/// as it was. A marker file tells a folder Forkscope wrote from one it must not overwrite.
///
/// A rebuild that only re-rendered (`update`) writes just the files whose bytes changed, each
/// atomically (a temporary file renamed over it), so a server reading the folder never sees half
/// a file, and a page that did not change keeps its modification time.
public enum SiteWriter {
    public static let marker = ".forkscope-site"

    public static func write(_ files: [SiteFile], to out: String, force: Bool) throws {
        let fm = FileManager.default
        let target = URL(fileURLWithPath: out).standardizedFileURL
        let parent = target.deletingLastPathComponent()
        var isDir: ObjCBool = false
        let exists = fm.fileExists(atPath: target.path, isDirectory: &isDir)
        if exists {
            guard isDir.boolValue else { throw InputError(file: out, "exists and is not a folder") }
            let contents = (try? fm.contentsOfDirectory(atPath: target.path)) ?? []
            if !contents.isEmpty, !contents.contains(marker), !force {
                throw SettingError.foreignOutput(out)
            }
        }
        do {
            try fm.createDirectory(at: parent, withIntermediateDirectories: true)
        } catch {
            throw InputError(file: parent.path, "cannot create the output's parent folder")
        }
        let pid = ProcessInfo.processInfo.processIdentifier
        let staging = parent.appendingPathComponent(".\(target.lastPathComponent).forkscope-new-\(pid)")
        let old = parent.appendingPathComponent(".\(target.lastPathComponent).forkscope-old-\(pid)")
        try? fm.removeItem(at: staging)
        do {
            try fm.createDirectory(at: staging, withIntermediateDirectories: false)
            for file in files {
                let url = location(of: file, in: staging)
                try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try file.contents.write(to: url)
            }
            try Data("This folder was written by forkscope; `forkscope build` may replace it.\n".utf8)
                .write(to: staging.appendingPathComponent(marker))
            if exists {
                try fm.moveItem(at: target, to: old)
                do { try fm.moveItem(at: staging, to: target) } catch {
                    try? fm.moveItem(at: old, to: target)
                    throw error
                }
                try? fm.removeItem(at: old)
            } else {
                try fm.moveItem(at: staging, to: target)
            }
        } catch let error as InputError {
            try? fm.removeItem(at: staging)
            throw error
        } catch {
            try? fm.removeItem(at: staging)
            throw InputError(file: out, "cannot write the site: \(error.localizedDescription)")
        }
    }

    /// Whether `out` is a folder a previous build wrote (it has the marker).
    public static func isSite(_ out: String) -> Bool {
        FileManager.default.fileExists(atPath: (out as NSString).appendingPathComponent(marker))
    }

    /// Brings the site in `out` (a folder `isSite`) up to date: writes each of `files` whose bytes
    /// differ from what is there, leaves the files named in `keeping` as they are and removes
    /// every other file. Returns the paths written.
    public static func update(_ files: [SiteFile], keeping: Set<String>, in out: String) throws -> [String] {
        let fm = FileManager.default
        let root = URL(fileURLWithPath: out).standardizedFileURL
        var written = [String]()
        do {
            for file in files {
                let url = location(of: file, in: root)
                if let old = fm.contents(atPath: url.path), old == file.contents { continue }
                try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).forkscope-\(getpid()).tmp")
                try file.contents.write(to: temporary)
                guard rename(temporary.path, url.path) == 0 else {
                    try? fm.removeItem(at: temporary)
                    throw InputError(file: url.path, "cannot be replaced: \(String(cString: strerror(errno)))")
                }
                written.append(file.path)
            }
            let wanted = keeping.union(files.map(\.path)).union([marker])
            for stale in sitePaths(in: root) where !wanted.contains(stale) {
                try fm.removeItem(at: root.appendingPathComponent(stale))
            }
        } catch let error as InputError {
            throw error
        } catch {
            throw InputError(file: out, "cannot update the site: \(error.localizedDescription)")
        }
        return written
    }

    /// Where a file of the site goes under `root`; its path, which the renderer made, must stay inside.
    private static func location(of file: SiteFile, in root: URL) -> URL {
        precondition(!file.path.hasPrefix("/") && !file.path.split(separator: "/").contains(".."), "unsafe site path")
        return root.appendingPathComponent(file.path)
    }

    /// The regular files under `root`, as paths relative to it.
    static func sitePaths(in root: URL) -> [String] {
        guard let walk = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey]) else { return [] }
        let prefix = root.path.hasSuffix("/") ? root.path : root.path + "/"
        return walk.compactMap { item in
            guard let url = item as? URL, (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { return nil }
            let path = url.standardizedFileURL.path
            return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : nil
        }
    }
}
