import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import ForkscopeTestSupport
@testable import Forkscope

/// Helpers shared by the Render, Site, Pipeline and Report tests: building sites, reading them
/// back, and writing small synthetic runs. (Fixture paths, temporary folders and the run writer
/// are in ForkscopeTestSupport.) One top-level name, so it cannot clash with helpers of the other
/// test folders.
enum SiteTestKit {
    // MARK: - Sites

    /// Builds `run` into `<temp>/site` and hands the site folder to `body`; everything is removed after.
    @discardableResult
    static func withBuiltSite<T>(run: String, content: String? = nil, templates: String? = nil,
                                 _ body: (URL, Build.Result) throws -> T) throws -> T {
        try TemporaryFolder.with { tmp in
            let site = tmp.appendingPathComponent("site", isDirectory: true)
            let result = try Build.run(BuildOptions(run: run, out: site.path, content: content, templates: templates))
            return try body(site, result)
        }
    }

    // MARK: - Reading a site

    /// Every regular file below `dir` (hidden ones included), by path relative to `dir`.
    static func snapshot(_ dir: URL) throws -> [String: Data] {
        var out = [String: Data]()
        let base = dir.standardizedFileURL.path
        guard let e = FileManager.default.enumerator(atPath: base) else { return out }
        while let rel = e.nextObject() as? String {
            var isDir: ObjCBool = false
            let full = (base as NSString).appendingPathComponent(rel)
            if FileManager.default.fileExists(atPath: full, isDirectory: &isDir), !isDir.boolValue {
                out[rel] = try Data(contentsOf: URL(fileURLWithPath: full))
            }
        }
        return out
    }

    static func text(_ url: URL) throws -> String {
        String(decoding: try Data(contentsOf: url), as: UTF8.self)
    }

    /// Paths (relative to the site) of every `.html` file of a site.
    static func htmlPages(_ site: URL) throws -> [String] {
        try snapshot(site).keys.filter { $0.hasSuffix(".html") }.sorted()
    }

    /// The `<svg …>…</svg>` fragments of a page, in order (inline SVG is never nested here).
    static func svgFragments(_ html: String) -> [String] {
        var out = [String]()
        var rest = html[...]
        while let open = rest.range(of: "<svg") {
            guard let close = rest.range(of: "</svg>", range: open.upperBound..<rest.endIndex) else {
                out.append(String(rest[open.lowerBound...]))  // unterminated: let the parser say so
                break
            }
            out.append(String(rest[open.lowerBound..<close.upperBound]))
            rest = rest[close.upperBound...]
        }
        return out
    }

    /// The text between the first `start` and the next `end` after it.
    static func between(_ s: String, _ start: String, _ end: String) -> String? {
        guard let a = s.range(of: start), let b = s.range(of: end, range: a.upperBound..<s.endIndex) else { return nil }
        return String(s[a.upperBound..<b.lowerBound])
    }

    /// A page without the explorer's two script elements (its data block, whose text escapes `<`,
    /// so it ends at the first `</script>`, and `explore.js`): what must carry no other script.
    static func withoutExplorer(_ html: String) -> String {
        var out = html
        if let start = out.range(of: "<script type=\"application/json\" id=\"explore-data\">"),
           let end = out.range(of: "</script>", range: start.upperBound..<out.endIndex) {
            out.removeSubrange(start.lowerBound..<end.upperBound)
        }
        if let tag = out.range(of: #"<script src="[^"<>]*explore\.js" defer></script>"#, options: .regularExpression) {
            out.removeSubrange(tag)
        }
        return out
    }

    static func count(_ needle: String, in haystack: String) -> Int {
        haystack.components(separatedBy: needle).count - 1
    }

    /// The token markers of a scatter plot: those drawn where they lie and those beyond its frame.
    static func markerCount(_ svg: String) -> Int {
        count("<use class=\"pt\"", in: svg) + count("<use class=\"out\"", in: svg)
    }

    /// Values of the double-quoted attribute `name` (e.g. `href`) in every tag, raw (not unescaped).
    static func attributeValues(_ name: String, in html: String) -> [String] {
        var out = [String]()
        let pattern = "[\\s<]" + NSRegularExpression.escapedPattern(for: name) + "=\"([^\"]*)\""
        let re = try! NSRegularExpression(pattern: pattern)
        let ns = html as NSString
        for m in re.matches(in: html, range: NSRange(location: 0, length: ns.length)) {
            out.append(ns.substring(with: m.range(at: 1)))
        }
        return out
    }

    /// Numeric attribute values of the elements that open with `elementPrefix` (e.g. `<circle class="pt"`).
    static func elements(_ elementPrefix: String, in svg: String) -> [String] {
        var out = [String]()
        var rest = svg[...]
        while let r = rest.range(of: elementPrefix) {
            let end = rest.range(of: ">", range: r.upperBound..<rest.endIndex)?.upperBound ?? rest.endIndex
            out.append(String(rest[r.lowerBound..<end]))
            rest = rest[end...]
        }
        return out
    }

    static func number(_ attribute: String, of element: String) -> Double? {
        attributeValues(attribute, in: element).first.flatMap(Double.init)
    }

    /// The test's own HTML escaping of & < > " ' (an oracle independent of `Escape.html`).
    static func escape(_ s: String) -> String {
        var out = ""
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(u)
            }
        }
        return out
    }

    /// Undoes the five references `Escape.html` and Mustache produce (for hrefs).
    static func unescape(_ s: String) -> String {
        s.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }

    // MARK: - Processes

    /// Runs `python3 ARGS…` (found on PATH); returns the exit status and stdout + stderr.
    static func python(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        process.currentDirectoryURL = Fixtures.packageRoot
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    struct NumPyMissing: Error, CustomStringConvertible { var description: String { "python3 with numpy is missing" } }

    /// Fails the current test (never skips) unless python3 with numpy can be run.
    static func requireNumPy(sourceLocation: SourceLocation = #_sourceLocation) throws {
        let probe = try? python(["-c", "import numpy; print(numpy.__version__)"])
        guard let probe, probe.status == 0 else {
            let detail = probe?.output.trimmingCharacters(in: .whitespacesAndNewlines) ?? "python3 could not be started"
            Issue.record("python3 with numpy is required for Tests/Fixtures/check_site.py (CI installs it; locally: apt-get install python3-numpy or pip install numpy). \(detail)", sourceLocation: sourceLocation)
            throw NumPyMissing()
        }
    }

    // MARK: - XML

    final class ErrorCollector: NSObject, XMLParserDelegate {
        var error: String?
        func parser(_ parser: XMLParser, parseErrorOccurred parseError: Error) {
            error = error ?? "\(parseError) line \(parser.lineNumber) column \(parser.columnNumber)"
        }
    }

    /// Parses `fragment` as XML; nil when well-formed, else the parser's complaint.
    static func xmlError(_ fragment: String) -> String? {
        let parser = XMLParser(data: Data(fragment.utf8))
        let collector = ErrorCollector()
        parser.delegate = collector
        if parser.parse() { return nil }
        return collector.error ?? parser.parserError.map { "\($0)" } ?? "XMLParser failed"
    }

    // MARK: - Independent reading of run.json (not through Forkscope's reader)

    struct RunInfo {
        struct Branch {
            var id: String; var label: String; var parent: String?; var forkAt: Int?; var tokens: [String]; var positions: [Int]
            /// The `group` field when it is a string (nil otherwise).
            var group: String? = nil
        }
        var layers: [Int]
        var branches: [Branch]
        var hiddenSize = 0
        /// Names of the run's variants (keys of `variants`), sorted.
        var variants: [String] = []
        var tokenCount: Int { branches.reduce(0) { $0 + $1.tokens.count } }
        /// Tokens at positions that at least two branches hold (the position_mean view's tokens
        /// when no token is massive).
        var supportedTokenCount: Int { supportedTokens(excluding: []).count }
        var roots: Int { branches.filter { $0.parent == nil }.count }

        /// Run-order index of a branch's first token.
        func offset(of id: String) -> Int {
            var n = 0
            for b in branches {
                if b.id == id { return n }
                n += b.tokens.count
            }
            return n
        }
        /// The branch id, position and root group (string `group`, else the root's id) of every token in run order.
        var tokenBranchIDs: [String] { branches.flatMap { b in Array(repeating: b.id, count: b.tokens.count) } }
        var tokenPositions: [Int] { branches.flatMap(\.positions) }
        var tokenRootGroups: [String] {
            branches.flatMap { b -> [String] in
                var root = b
                while let p = root.parent, let parent = branches.first(where: { $0.id == p }) { root = parent }
                return Array(repeating: b.group ?? root.id, count: b.tokens.count)
            }
        }

        /// docs/views-and-measures.md: the tokens (run order) at positions where the tokens not in
        /// `excluded` (the massive ones) come from at least two distinct branches; massive tokens
        /// at such positions included.
        func supportedTokens(excluding excluded: Set<Int>) -> [Int] {
            let ids = tokenBranchIDs, positions = tokenPositions
            var branchesAt = [Int: Set<String>]()
            for t in positions.indices where !excluded.contains(t) { branchesAt[positions[t], default: []].insert(ids[t]) }
            return positions.indices.filter { (branchesAt[positions[$0]]?.count ?? 0) >= 2 }
        }
        /// How many tokens a branch inherits: the sum of fork_at up its parent chain.
        func inheritedCount(_ id: String) -> Int {
            var n = 0
            var current = branches.first { $0.id == id }
            while let c = current, let p = c.parent, let f = c.forkAt {
                n += f
                current = branches.first { $0.id == p }
            }
            return n
        }
    }

    static func runInfo(_ run: String) throws -> RunInfo {
        let data = try Data(contentsOf: URL(fileURLWithPath: run).appendingPathComponent("run.json"))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let layers = try #require(json["layers"] as? [Int])
        let branches = try #require(json["branches"] as? [[String: Any]]).map { b in
            RunInfo.Branch(id: b["id"] as! String, label: (b["label"] as? String) ?? (b["id"] as! String),
                           parent: b["parent"] as? String, forkAt: b["fork_at"] as? Int, tokens: b["tokens"] as! [String],
                           positions: b["positions"] as! [Int], group: b["group"] as? String)
        }
        let variants = ((json["variants"] as? [String: Any]) ?? [:]).keys.sorted()
        return RunInfo(layers: layers, branches: branches, hiddenSize: json["hidden_size"] as? Int ?? 0, variants: variants)
    }

    // MARK: - report.json, read as plain JSON

    static func reportObject(_ site: URL) throws -> [String: Any] {
        let data = try Data(contentsOf: site.appendingPathComponent("report.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// `settings.views` of a built site: the views every layer page plots, in order.
    static func settingsViews(_ site: URL) throws -> [String] {
        let settings = try #require(try reportObject(site)["settings"] as? [String: Any])
        return try #require(settings["views"] as? [String])
    }

    /// The views a build shows by default (docs/views-and-measures.md): raw, raw+z,
    /// position_mean, position_mean+z, regress, leace, leace+z, abtt, and zero_pe when run.json
    /// lists that variant.
    static func defaultViews(_ info: RunInfo) -> [String] {
        ["raw", "raw+z", "position_mean", "position_mean+z", "regress", "leace", "leace+z", "abtt"]
            + (info.variants.contains("zero_pe") ? ["zero_pe"] : [])
    }

    /// Run-order indices of each layer's massive tokens, as report.json names them (branch, token_index).
    static func massiveTokens(_ report: [String: Any], _ info: RunInfo) throws -> [Int: Set<Int>] {
        var out = [Int: Set<Int>]()
        for layer in try #require(report["layers"] as? [[String: Any]]) {
            let l = try #require(layer["layer"] as? Int)
            var set = Set<Int>()
            for m in try #require(layer["massive"] as? [[String: Any]]) {
                let id = try #require(m["branch"] as? String), j = try #require(m["token_index"] as? Int)
                set.insert(info.offset(of: id) + j)
            }
            out[l] = set
        }
        return out
    }

    // MARK: - Synthetic runs

    struct SynthBranch: Sendable {
        var id: String
        var label: String
        var parent: String? = nil
        var forkAt: Int? = nil
        var tokens: [String]
        var positions: [Int]
    }

    /// Writes a `forkscope.run/1` folder with F32 states (deterministic pseudo-random values) by
    /// `RunWriter`. `nanAt` puts a NaN into one branch's tensor; `omitTensor` leaves one branch's
    /// tensor out; `values` gives every value instead (same for every layer).
    static func writeRun(at dir: URL, branches: [SynthBranch], layers: [Int] = [0, 1], hidden: Int = 4,
                         title: String = "synthetic", model: String = "synthetic-model", nanAt: String? = nil, omitTensor: String? = nil,
                         values fixed: ((_ branch: String, _ position: Int, _ dimension: Int) -> Float)? = nil) throws {
        let manifest: [String: Any] = [
            "format": "forkscope.run/1",
            "title": title,
            "model": ["name": model, "version": "1", "positional_encoding": "none"],
            "layers": layers,
            "hidden_size": hidden,
            "tensors": "activations.safetensors",
            "branches": branches.map { b -> [String: Any] in
                ["id": b.id, "label": b.label, "parent": b.parent ?? NSNull(), "fork_at": b.forkAt ?? NSNull(),
                 "tokens": b.tokens, "positions": b.positions]
            },
        ]
        // Uniform in [-1, 1] on a grid of 1e-6.
        var rng = SeededGenerator(seed: 0x9E37_79B9_7F4A_7C15)
        func next() -> Float { Float(Double(rng.next() % 2_000_001) / 1_000_000 - 1) }
        var tensors = [RunWriter.Tensor]()
        for b in branches where b.id != omitTensor {
            var values = [Float]()
            for _ in layers {
                for p in b.positions {
                    for k in 0..<hidden { values.append(fixed?(b.id, p, k) ?? next() + Float((p + 1) * (k + 1)) * 0.3) }
                }
            }
            if b.id == nanAt { values[values.count / 2] = .nan }
            tensors.append(RunWriter.Tensor(name: b.id, dtype: "F32", shape: [layers.count, b.tokens.count, hidden],
                                            data: RunWriter.encode(values, as: "F32")))
        }
        try RunWriter(manifest: manifest, tensors: tensors, metadata: nil).write(to: dir)
    }

    /// A small valid tree: root `a` (positions 0-3), children `a.x`, `a.y` forking after token 3.
    static let smallTree: [SynthBranch] = [
        SynthBranch(id: "a", label: "root a", tokens: ["<s>", "one", "two", "three"], positions: [0, 1, 2, 3]),
        SynthBranch(id: "a.x", label: "child x", parent: "a", forkAt: 3, tokens: ["x1", "x2", "x3"], positions: [3, 4, 5]),
        SynthBranch(id: "a.y", label: "child y", parent: "a", forkAt: 3, tokens: ["y1", "y2", "y3"], positions: [3, 4, 5]),
        SynthBranch(id: "b", label: "root b", tokens: ["<s>", "four", "five"], positions: [0, 1, 2]),
    ]

    /// Degenerate but valid runs, by name: `single-branch` (one root: no position is supported),
    /// `one-token` (one branch of one token), `identical` (two roots whose one token has the same state).
    static func writeDegenerateRun(_ name: String, at dir: URL) throws {
        switch name {
        case "single-branch":
            try writeRun(at: dir, branches: [SynthBranch(id: "only", label: "only", tokens: ["a", "b", "c", "d"], positions: [0, 1, 2, 3])])
        case "one-token":
            try writeRun(at: dir, branches: [SynthBranch(id: "only", label: "only", tokens: ["a"], positions: [0])])
        default:
            try writeRun(at: dir, branches: [SynthBranch(id: "r", label: "r", tokens: ["a"], positions: [0]),
                                             SynthBranch(id: "s", label: "s", tokens: ["a"], positions: [0])],
                         values: { _, _, k in Float(k + 1) })
        }
    }

    static let degenerateRuns = ["single-branch", "one-token", "identical"]

    // MARK: - In-memory runs (for SitePaths and renderer units)

    static func memoryRun(ids: [String]) -> ActivationRun {
        ActivationRun(
            title: "t", model: .init(name: "m", version: nil, positionalEncoding: nil), layers: [0], hiddenSize: 2,
            tensorsFile: "x.safetensors", variants: [],
            branches: ids.map { .init(id: $0, label: $0, parent: nil, forkAt: nil, tokens: ["t"], positions: [0], logprobs: nil) })
    }
}
