import Foundation

/// The measures of two built reports side by side: every numeric measure of every layer and view
/// both `report.json` files hold (forkscope.report/1), A's value, B's and B − A. The text diff and
/// `--fail-if` read it; it needs no states, so two published reports are enough.
public struct MeasureDiff: Sendable {
    public struct Row: Sendable, Equatable {
        public let layerA: Int, layerB: Int
        public let view: String
        public let measure: String
        public let a: Double?, b: Double?
        public var delta: Double? { a.flatMap { a in b.map { $0 - a } } }
        public var layerLabel: String { layerPairLabel(layerA, layerB) }
    }

    public let rows: [Row]

    /// Reads `report.json` (a file, or a built site holding one); the error names the file.
    public static func report(at path: String) throws -> [String: Any] {
        var isDirectory: ObjCBool = false
        let file = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
            ? (path as NSString).appendingPathComponent("report.json") : path
        guard let data = FileManager.default.contents(atPath: file) else { throw InputError(file: file, "cannot be read") }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw InputError(file: file, "is not a JSON object")
        }
        guard let format = object["format"] as? String, format.hasPrefix("forkscope.report/") else {
            throw InputError(file: file, field: "format", "is not forkscope.report/1")
        }
        guard object["layers"] is [[String: Any]] else { throw InputError(file: file, field: "layers", "missing or not a list") }
        return object
    }

    /// Layers pair as `LayerPairing` pairs the reports' layer lists; views and measures by name,
    /// every one either side holds (the other's value nil); list-valued measures (explained
    /// variance) by component, `name[i]`.
    public init(_ a: [String: Any], _ b: [String: Any]) {
        let layersA = a["layers"] as? [[String: Any]] ?? [], layersB = b["layers"] as? [[String: Any]] ?? []
        let pairing = LayerPairing(layersA.map { $0["layer"] as? Int ?? 0 }, layersB.map { $0["layer"] as? Int ?? 0 })
        var rows = [Row]()
        for pair in pairing.pairs {
            let la = layersA[pair.a], lb = layersB[pair.b]
            let viewsA = la["views"] as? [String: Any] ?? [:], viewsB = lb["views"] as? [String: Any] ?? [:]
            // Views either report holds (a view only one side has shows its values against none).
            for view in Self.orderedKeys(viewsA.merging(viewsB) { a, _ in a }) {
                let ma = viewsA[view] as? [String: Any] ?? [:], mb = viewsB[view] as? [String: Any] ?? [:]
                for measure in Set(ma.keys).union(mb.keys).sorted() {
                    for (name, x, y) in Self.values(measure, ma[measure], mb[measure]) {
                        rows.append(Row(layerA: la["layer"] as? Int ?? 0, layerB: lb["layer"] as? Int ?? 0, view: view,
                                        measure: name, a: x, b: y))
                    }
                }
            }
        }
        self.rows = rows
    }

    /// Views in the reports' own order where they list one (`views`), else by name.
    private static func orderedKeys(_ views: [String: Any]) -> [String] {
        let preferred = View.defaults.map(\.name)
        return views.keys.sorted { (preferred.firstIndex(of: $0) ?? .max, $0) < (preferred.firstIndex(of: $1) ?? .max, $1) }
    }

    private static func values(_ name: String, _ a: Any?, _ b: Any?) -> [(String, Double?, Double?)] {
        func number(_ v: Any?) -> Double? { (v as? NSNumber)?.doubleValue }
        if a is [Any] || b is [Any] {
            let la = a as? [Any] ?? [], lb = b as? [Any] ?? []
            return (0..<max(la.count, lb.count)).map {
                ("\(name)[\($0)]", $0 < la.count ? number(la[$0]) : nil, $0 < lb.count ? number(lb[$0]) : nil)
            }
        }
        let x = number(a), y = number(b)
        return x == nil && y == nil ? [] : [(name, x, y)]
    }
}

/// How diffs name a pair of layers: "12" when both runs have it, "12~18" when layers of models of
/// different depths are paired by relative depth.
func layerPairLabel(_ a: Int, _ b: Int) -> String {
    a == b ? "\(a)" : "\(a)~\(b)"
}
