import Foundation

/// Reads and validates run.json into an `ActivationRun`.
///
/// JSON is walked by hand rather than through `Decodable` so that every error names the exact
/// field (`branches[3].fork_at`) and so that unknown extra fields, which capture tools may add
/// (e.g. `group`), are ignored rather than rejected.
enum RunManifest {
    static func parse(_ data: Data, file: String) throws -> (ActivationRun, [Warning]) {
        var warnings = [Warning]()
        var data = data
        if String(data: data, encoding: .utf8) == nil {
            // Keep going with the broken bytes replaced, and say so.
            data = Data(String(decoding: data, as: UTF8.self).utf8)
            warnings.append(Warning(file: file, "not valid UTF-8; broken bytes were replaced by U+FFFD"))
        }
        let repaired = JSONText.replacingLoneSurrogates(data)
        if repaired.replaced > 0 {
            data = repaired.data
            warnings.append(Warning(file: file, "\(repaired.replaced) lone UTF-16 surrogate escape(s) (halves of a character) were replaced by U+FFFD"))
        }
        let root: JSONValue
        do {
            root = try JSONValue.parse(data)
        } catch {
            let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String
            throw InputError(file: file, "malformed JSON" + (detail.map { " (\($0))" } ?? ""))
        }
        let top = try JSONObject(root, file: file, path: nil)

        let format = try top.string("format")
        guard format == ActivationRun.format else {
            throw InputError(file: file, field: "format", "\"\(format)\" is not supported (expected \"\(ActivationRun.format)\")")
        }
        let title = try top.optionalString("title") ?? {
            warnings.append(Warning(file: file, field: "title", "missing; the run folder's name is used"))
            return URL(fileURLWithPath: file).deletingLastPathComponent().lastPathComponent
        }()
        let modelObject = try top.object("model")
        let model = ActivationRun.Model(
            name: try modelObject.string("name"),
            version: try modelObject.optionalString("version"),
            positionalEncoding: try modelObject.optionalString("positional_encoding"))

        let layers = try top.array("layers").enumerated().map { i, v in
            try JSONObject.int(v, file: file, path: "layers[\(i)]")
        }
        guard !layers.isEmpty else { throw InputError(file: file, field: "layers", "is empty") }
        if let dup = firstDuplicate(layers) {
            throw InputError(file: file, field: "layers", "layer \(dup) is listed twice")
        }
        let hiddenSize = try top.int("hidden_size")
        guard hiddenSize > 0 else { throw InputError(file: file, field: "hidden_size", "must be positive, got \(hiddenSize)") }
        let tensors = try top.string("tensors")
        var variants = [(name: String, file: String)]()
        if let v = try top.optionalObject("variants") {
            for name in v.keys.sorted() { variants.append((name, try v.string(name))) }
        }

        let branchValues = try top.array("branches")
        guard !branchValues.isEmpty else { throw InputError(file: file, field: "branches", "is empty") }
        var branches = [ActivationRun.Branch]()
        var parentIDs = [String?]()
        var indexOfID = [String: Int]()
        for (i, value) in branchValues.enumerated() {
            let b = try JSONObject(value, file: file, path: "branches[\(i)]")
            let id = try b.string("id")
            guard !id.isEmpty else { throw InputError(file: file, field: "branches[\(i)].id", "is empty") }
            if let first = indexOfID[id] {
                throw InputError(file: file, field: "branches[\(i)].id", "\"\(id)\" duplicates branches[\(first)]")
            }
            indexOfID[id] = i
            let tokens = try b.array("tokens").enumerated().map { j, t in
                try JSONObject.string(t, file: file, path: "branches[\(i)].tokens[\(j)]")
            }
            guard !tokens.isEmpty else { throw InputError(file: file, field: "branches[\(i)].tokens", "is empty") }
            let positions = try b.array("positions").enumerated().map { j, p in
                try JSONObject.int(p, file: file, path: "branches[\(i)].positions[\(j)]")
            }
            guard positions.count == tokens.count else {
                throw InputError(file: file, field: "branches[\(i)].positions",
                                 "has \(positions.count) entries but tokens has \(tokens.count)")
            }
            if let bad = positions.firstIndex(where: { $0 < 0 }) {
                throw InputError(file: file, field: "branches[\(i)].positions[\(bad)]", "is negative")
            }
            var logprobs: [Double?]?
            if let values = try b.optionalArray("logprobs") {
                logprobs = try values.enumerated().map { j, v in
                    v.isNull ? nil : try JSONObject.double(v, file: file, path: "branches[\(i)].logprobs[\(j)]")
                }
                guard logprobs!.count == tokens.count else {
                    throw InputError(file: file, field: "branches[\(i)].logprobs",
                                     "has \(logprobs!.count) entries but tokens has \(tokens.count)")
                }
            }
            branches.append(ActivationRun.Branch(
                id: id, label: try b.optionalString("label") ?? id, parent: nil,
                forkAt: try b.optionalInt("fork_at"), tokens: tokens, positions: positions, logprobs: logprobs,
                group: groupName(b, file: file, path: "branches[\(i)].group", warnings: &warnings)))
            parentIDs.append(try b.optionalString("parent"))
        }

        for i in branches.indices {
            let field = "branches[\(i)]"
            guard let parentID = parentIDs[i] else {
                if branches[i].forkAt != nil {
                    warnings.append(Warning(file: file, field: field + ".fork_at", "ignored: the branch has no parent"))
                    branches[i].forkAt = nil
                }
                continue
            }
            guard let p = indexOfID[parentID] else {
                throw InputError(file: file, field: field + ".parent", "unknown branch id \"\(parentID)\"")
            }
            guard let fork = branches[i].forkAt else {
                throw InputError(file: file, field: field + ".fork_at", "missing for a branch with a parent")
            }
            guard (1...branches[p].tokens.count).contains(fork) else {
                throw InputError(file: file, field: field + ".fork_at",
                                 "\(fork) is outside 1...\(branches[p].tokens.count) (the parent's token count)")
            }
            branches[i].parent = p
        }
        // A parent chain that returns to where it started never reaches a root.
        for i in branches.indices {
            var seen: Set<Int> = [i]
            var current = i
            while let p = branches[current].parent {
                guard seen.insert(p).inserted else {
                    throw InputError(file: file, field: "branches[\(i)].parent",
                                     "the parent chain of \"\(branches[i].id)\" is a cycle")
                }
                current = p
            }
        }

        let run = ActivationRun(title: title, model: model, layers: layers, hiddenSize: hiddenSize,
                                tensorsFile: tensors, variants: variants, branches: branches)
        return (run, warnings)
    }

    /// A branch's `group`, an extra field some capture tools write: a string, or a number taken as
    /// its text. Anything else is ignored with a warning, never rejected.
    private static func groupName(_ b: JSONObject, file: String, path: String, warnings: inout [Warning]) -> String? {
        switch b.fields["group"] {
        case nil, .null: return nil
        case .string(let s): return s
        case .number(let n): return n.stringValue
        default:
            warnings.append(Warning(file: file, field: path, "neither a string nor a number; ignored"))
            return nil
        }
    }

    private static func firstDuplicate(_ values: [Int]) -> Int? {
        var seen = Set<Int>()
        return values.first { !seen.insert($0).inserted }
    }
}
