import Foundation
import Testing
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

    @Test("one row per token in run order; every token text, hostile ones included, round-trips")
    func rowsAndTokens() throws {
        let info = try Kit.runInfo(Kit.treeF32)
        try Kit.withBuiltSite(run: Kit.treeF32) { site, _ in
            for l in info.layers {
                let records = try Self.parse(try Kit.text(site.appendingPathComponent("layers/\(l).csv")))
                #expect(records.first == ["branch", "token_index", "position", "norm", "dist_to_position_mean",
                                          "raw_pc1", "raw_pc2", "position_mean_pc1", "position_mean_pc2", "token"])
                let rows = records.dropFirst()
                #expect(rows.count == info.tokenCount)
                let expected = info.branches.flatMap { b in b.tokens.indices.map { (b.id, $0, b.positions[$0], b.tokens[$0]) } }
                for (row, e) in zip(rows, expected) {
                    #expect(row.count == 10)
                    #expect(row[0] == e.0 && row[1] == String(e.1) && row[2] == String(e.2), "\(row)")
                    #expect(row[9] == e.3, "token \(e.3.debugDescription) came back as \(row[9].debugDescription)")
                    // Numbers: norm always; coordinates empty exactly at unsupported positions (position 10 here).
                    #expect(Double(row[3]) != nil)
                    #expect(Double(row[5]) != nil && Double(row[6]) != nil)
                    if e.2 == 10 {
                        #expect(row[4].isEmpty && row[7].isEmpty && row[8].isEmpty)
                    } else {
                        #expect(Double(row[4]) != nil && Double(row[7]) != nil && Double(row[8]) != nil)
                    }
                }
            }
        }
    }

    @Test("ids that need quoting are quoted")
    func quotedIDs() throws {
        try Kit.withTempFolder { tmp in
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
