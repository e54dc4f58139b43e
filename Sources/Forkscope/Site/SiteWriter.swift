import Foundation

/// Writes a site atomically: everything goes into a staging folder beside the output folder,
/// which replaces the output folder only once complete. A failed build leaves the previous site
/// as it was. A marker file tells a folder Forkscope wrote from one it must not overwrite.
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
                precondition(!file.path.hasPrefix("/") && !file.path.split(separator: "/").contains(".."), "unsafe site path")
                let url = staging.appendingPathComponent(file.path)
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
}
