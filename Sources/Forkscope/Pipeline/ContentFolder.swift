import Foundation

/// Reads a content folder's Markdown commentary (`index.md`, `layers/<L>.md`, `branches/<id>.md`).
enum ContentFolder {
    static func load(_ directory: String, run: ActivationRun) throws -> (Commentary, [Warning]) {
        try load(directory, layers: run.layers, branches: run.branches.map(\.id))
    }

    /// Commentary for pages of these layers and branch ids.
    static func load(_ directory: String, layers: [Int], branches: [String]) throws -> (Commentary, [Warning]) {
        var commentary = Commentary()
        var warnings = [Warning]()
        let fm = FileManager.default
        func read(_ relative: String) throws -> String? {
            let path = (directory as NSString).appendingPathComponent(relative)
            guard fm.fileExists(atPath: path) else { return nil }
            guard let data = fm.contents(atPath: path) else { throw InputError(file: path, "cannot be read") }
            if String(data: data, encoding: .utf8) == nil {
                warnings.append(Warning(file: path, "not valid UTF-8; broken bytes were replaced by U+FFFD"))
            }
            return String(decoding: data, as: UTF8.self)
        }
        commentary.index = try read("index.md")
        for layer in layers {
            commentary.layers[layer] = try read("layers/\(layer).md")
        }
        for id in branches where !id.contains("/") && id != "." && id != ".." {
            commentary.branches[id] = try read("branches/\(id).md")
        }
        // Commentary for pages that do not exist is most likely a typo: say so.
        for folder in ["layers", "branches"] {
            let names = (try? fm.contentsOfDirectory(atPath: (directory as NSString).appendingPathComponent(folder))) ?? []
            for name in names.sorted() where name.hasSuffix(".md") {
                let stem = String(name.dropLast(3))
                let known = folder == "layers" ? layers.contains { "\($0)" == stem } : branches.contains(stem)
                if !known {
                    warnings.append(Warning(file: (directory as NSString).appendingPathComponent("\(folder)/\(name)"),
                                            "no \(folder == "layers" ? "layer" : "branch") \"\(stem)\" here; ignored"))
                }
            }
        }
        return (commentary, warnings)
    }
}
