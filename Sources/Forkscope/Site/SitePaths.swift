/// Where each page of a site lives. All links are relative to the page that holds them.
///
/// Branch ids are untrusted: an id becomes a folder name only when it is a plain name
/// (ASCII letters, digits, `.`, `_`, `-`, starting with a letter or digit, not ending in `.`, not a
/// name Windows reserves for a device such as `CON` or `com1.txt`) that no other id matches
/// ignoring case; any other branch gets `_<index>`, which no plain id can be.
public struct SitePaths: Sendable {
    private let slugs: [String]

    public init(run: ActivationRun) {
        let plain = run.branches.map { Self.isPlainName($0.id) }
        var lowercased = [String: Int]()
        for (i, b) in run.branches.enumerated() where plain[i] { lowercased[b.id.lowercased(), default: 0] += 1 }
        slugs = run.branches.enumerated().map { i, b in
            plain[i] && lowercased[b.id.lowercased()] == 1 ? b.id : "_\(i)"
        }
    }

    static func isPlainName(_ s: String) -> Bool {
        func alphanumeric(_ c: Unicode.Scalar) -> Bool { ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c) }
        guard let first = s.unicodeScalars.first, alphanumeric(first), s.unicodeScalars.count <= 100, !s.hasSuffix(".") else { return false }
        let stem = s.split(separator: ".", maxSplits: 1).first.map { $0.uppercased() } ?? ""
        if reservedDeviceNames.contains(stem) { return false }
        return s.unicodeScalars.allSatisfy { alphanumeric($0) || "._-".unicodeScalars.contains($0) }
    }

    /// Names Windows gives to devices, with any extension (Microsoft, "Naming Files, Paths, and Namespaces").
    static let reservedDeviceNames: Set<String> = Set(["CON", "PRN", "AUX", "NUL"] + (1...9).flatMap { ["COM\($0)", "LPT\($0)"] })

    public func layerPage(_ layer: Int) -> String { "layers/\(layer).html" }
    public func layerData(_ layer: Int) -> String { "layers/\(layer).csv" }
    /// Every token of a view's clusters at a layer (`+` in a view's name becomes `_`).
    public func clusterPage(_ layer: Int, view: View) -> String {
        "layers/\(layer)-clusters-\(String(view.name.map { $0 == "+" ? "_" : $0 })).html"
    }
    public func branchFolder(_ branch: Int) -> String { "branches/\(slugs[branch])/" }
    public func branchPage(_ branch: Int, layer: Int) -> String { branchFolder(branch) + "\(layer).html" }

    /// The way back to the site root from a page at `path`.
    public static func root(from path: String) -> String {
        String(repeating: "../", count: path.split(separator: "/", omittingEmptySubsequences: false).count - 1)
    }
}
