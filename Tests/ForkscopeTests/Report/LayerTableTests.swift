import Foundation
import Testing
import ForkscopeTestSupport
@testable import Forkscope

/// layers/<L>.csv: RFC 4180, one row per token in run order.
@Suite("Layer CSV")
struct LayerTableTests {
    typealias Kit = SiteTestKit

    /// A strict RFC 4180 reader: CRLF between records, quoted fields may hold anything.
    static func parse(_ text: String) throws -> [[String]] {
        var records = [[String]](), fields = [String](), field = ""
        var scalars = Array(text.unicodeScalars)[...]
        var quoted = false, wasQuoted = false
        while let c = scalars.popFirst() {
            if quoted {
                if c == "\"" {
                    if scalars.first == "\"" { field.unicodeScalars.append("\""); scalars.removeFirst() } else { quoted = false }
                } else { field.unicodeScalars.append(c) }
            } else if c == "\"" {
                try #require(field.isEmpty && !wasQuoted, "quote inside an unquoted field")
                quoted = true; wasQuoted = true
            } else if c == "," {
                fields.append(field); field = ""; wasQuoted = false
            } else if c == "\r" {
                try #require(scalars.popFirst() == "\n", "bare CR")
                fields.append(field); records.append(fields); fields = []; field = ""; wasQuoted = false
            } else {
                try #require(c != "\n" && !wasQuoted, "bare LF or text after a closing quote")
                field.unicodeScalars.append(c)
            }
        }
        try #require(!quoted && fields.isEmpty && field.isEmpty, "file does not end with CRLF")
        return records
    }

    @Test("one row per token in run order, a pair of PCA columns per view; every token text, hostile ones included, round-trips")
    func rowsAndTokens() throws {
        let info = try Kit.runInfo(Fixtures.treeF32)
        try Kit.withBuiltSite(run: Fixtures.treeF32) { site, _ in
            let views = try Kit.settingsViews(site)
            #expect(views == Kit.defaultViews(info) && !views.contains("zero_pe"))  // tree-f32 has no zero_pe variant
            let report = try Kit.reportObject(site)
            let massive = try Kit.massiveTokens(report, info)
            for (l, layer) in zip(info.layers, try #require(report["layers"] as? [[String: Any]])) {
                // A view without a layout (it erased everything: pca_explained_variance null) has no coordinates.
                let measures = try #require(layer["views"] as? [String: [String: Any]])
                let laidOut = Set(views.filter { measures[$0]?["pca_explained_variance"] is [Any] })
                #expect(laidOut == Set(views).subtracting(["leace", "leace+z"]), "layer \(l): LEACE of tree-f32's 12-column basis in 8 dimensions erases everything")
                let records = try Self.parse(try Kit.text(site.appendingPathComponent("layers/\(l).csv")))
                // UMAP columns follow, for the views with a UMAP layout (by default raw and the
                // recommended view, where they have a PCA one).
                let withUMAP = views.filter { measures[$0]?["umap_initialisation"] is String }
                let umapViews = (((report["settings"] as? [String: Any])?["umap"] as? [String: Any])?["views"] as? [String]) ?? []
                #expect(umapViews.first == "raw" && umapViews.count == 2)
                #expect(withUMAP == views.filter { laidOut.contains($0) && umapViews.contains($0) })
                let base = ["branch", "token_index", "position", "norm", "dist_to_position_mean"]
                let pcs: [String] = views.flatMap { ["\($0)_pc1", "\($0)_pc2"] }
                let umapColumns: [String] = withUMAP.flatMap { ["\($0)_umap1", "\($0)_umap2"] }
                // Then a cluster column per clustered view (every view that kept anything).
                let clustered = views.filter { measures[$0]?["clusters"] is [String: Any] }
                #expect(clustered == views.filter { laidOut.contains($0) })
                let header: [String] = base + pcs + umapColumns + clustered.map { "\($0)_cluster" } + ["token"]
                #expect(records.first == header)
                let rows = records.dropFirst()
                #expect(rows.count == info.tokenCount)
                // The position_mean view (and the distance to the position mean) covers the tokens at supported positions.
                let supported = Set(info.supportedTokens(excluding: massive[l] ?? []))
                if (massive[l] ?? []).isEmpty {
                    #expect(supported.count == info.tokenCount - 1, "layer \(l): only position 10 is unsupported in tree-f32")
                }
                let expected = info.branches.flatMap { b in b.tokens.indices.map { (b.id, $0, b.positions[$0], b.tokens[$0]) } }
                for (t, (row, e)) in zip(rows, expected).enumerated() {
                    #expect(row.count == 5 + 2 * views.count + 2 * withUMAP.count + clustered.count + 1)
                    #expect(row[0] == e.0 && row[1] == String(e.1) && row[2] == String(e.2), "\(row)")
                    #expect(row.last == e.3, "token \(e.3.debugDescription) came back as \(row.last.debugDescription)")
                    // Numbers: norm always; coordinates of every view with a layout but position_mean always
                    // (they cover every token); position_mean's and the distance empty exactly at
                    // unsupported positions.
                    #expect(Double(row[3]) != nil)
                    #expect((Double(row[4]) != nil) == supported.contains(t) && row[4].isEmpty == !supported.contains(t), "\(row)")
                    for (v, name) in views.enumerated() {
                        let pc1 = row[5 + 2 * v], pc2 = row[6 + 2 * v]
                        if !laidOut.contains(name) || (name.hasPrefix("position_mean") && !supported.contains(t)) {
                            #expect(pc1.isEmpty && pc2.isEmpty, "layer \(l) token \(t) \(name): \(pc1), \(pc2)")
                        } else {
                            #expect(Double(pc1) != nil && Double(pc2) != nil, "layer \(l) token \(t) \(name): \(pc1), \(pc2)")
                        }
                    }
                    // UMAP points: exactly the view's fit tokens (covered and not massive).
                    for (u, name) in withUMAP.enumerated() {
                        let x = row[5 + 2 * views.count + 2 * u], y = row[6 + 2 * views.count + 2 * u]
                        let fit = !(massive[l] ?? []).contains(t) && (!name.hasPrefix("position_mean") || supported.contains(t))
                        #expect((Double(x) != nil && Double(y) != nil) == fit && (x.isEmpty && y.isEmpty) == !fit,
                                "layer \(l) token \(t) \(name) UMAP: \(x), \(y)")
                    }
                    if e.2 == 10 { #expect(!supported.contains(t)) }
                }
            }
        }
    }

    @Test("ids that need quoting are quoted")
    func quotedIDs() throws {
        try TemporaryFolder.with { tmp in
            let run = tmp.appendingPathComponent("run")
            try Kit.writeRun(at: run, branches: [
                .init(id: "a,b", label: "x", tokens: ["1", " 2 ", "3"], positions: [0, 1, 2]),
                .init(id: "q\"d", label: "y", tokens: ["4", "5", "6"], positions: [0, 1, 2]),
            ])
            let site = tmp.appendingPathComponent("site")
            _ = try Build.run(BuildOptions(run: run.path, out: site.path))
            let records = try Self.parse(try Kit.text(site.appendingPathComponent("layers/0.csv")))
            #expect(records.dropFirst().map { $0[0] } == ["a,b", "a,b", "a,b", "q\"d", "q\"d", "q\"d"])
            #expect(records[2].last == " 2 ")
        }
    }
}
