import Foundation
import Testing
import ForkscopeTestSupport
@testable import Forkscope

/// The measures half of `forkscope diff`, from two report.json files.
struct MeasureDiffTests {
    /// Report layers as report.json holds them, decoded: every view's token counts given, the
    /// measures as listed.
    static func report(_ layers: [(Int, [String: [String: Any]])]) throws -> [Report.Layer] {
        let objects = layers.map { layer, views -> [String: Any] in
            ["layer": layer, "page": "layers/\(layer).html", "data": "layers/\(layer).csv", "median_norm": 1.0, "massive": [Any](),
             "massive_excluded": true,
             "views": views.mapValues { $0.merging(["tokens": 10, "fit_tokens": 10, "neighbour_queries": NSNull()]) { a, _ in a } }]
        }
        return try JSONDecoder().decode([Report.Layer].self, from: JSONSerialization.data(withJSONObject: objects))
    }

    @Test func rowsPairLayersViewsAndMeasures() throws {
        let a = try Self.report([(0, ["raw": ["trustworthiness": 0.9, "pca_explained_variance": [0.5, 0.2], "umap_initialisation": "spectral",
                                          "silhouette_root": NSNull()],
                                  "leace": ["position_probe": 0.1]]),
                             (4, ["raw": ["trustworthiness": 0.8]])])
        let b = try Self.report([(0, ["raw": ["trustworthiness": 0.85, "pca_explained_variance": [0.5, 0.25], "silhouette_root": 0.3]]),
                             (8, ["raw": ["trustworthiness": 0.8]])])
        let diff = MeasureDiff(a, b)
        let rows = diff.rows.map { "\($0.layerA)~\($0.layerB) \($0.view) \($0.measure) \($0.a.map { "\($0)" } ?? "-") \($0.b.map { "\($0)" } ?? "-")" }
        // leace is only in A: shown against nothing; the text field is not a measure; null in A is kept against B's number;
        // null on both sides (neighbour_queries) is no row.
        #expect(rows == ["0~0 raw fit_tokens 10.0 10.0", "0~0 raw pca_explained_variance[0] 0.5 0.5",
                         "0~0 raw pca_explained_variance[1] 0.2 0.25", "0~0 raw silhouette_root - 0.3", "0~0 raw tokens 10.0 10.0",
                         "0~0 raw trustworthiness 0.9 0.85", "0~0 leace fit_tokens 10.0 -", "0~0 leace position_probe 0.1 -",
                         "0~0 leace tokens 10.0 -", "4~8 raw fit_tokens 10.0 10.0", "4~8 raw tokens 10.0 10.0",
                         "4~8 raw trustworthiness 0.8 0.8"])
        #expect(abs(diff.rows[5].delta! + 0.05) < 1e-15)
        let failures = DiffText.failures([FailCondition("delta.trustworthiness<-0.01")!, FailCondition("trustworthiness>=0.8")!],
                                         similarity: nil, measures: diff)
        #expect(failures == ["delta.trustworthiness<-0.01: layer 0 raw -0.0500", "trustworthiness>=0.8: layer 0 raw 0.8500",
                             "trustworthiness>=0.8: layer 4 raw 0.8000"])
        // Gates that could never fail are refused, not passed.
        let unmatched = DiffText.unmatched([FailCondition("cka<0.9")!, FailCondition("delta.trustworthines<0")!,
                                            FailCondition("position_probe>1")!, FailCondition("trustworthiness<0.5")!],
                                           similarity: nil, measures: diff)
        #expect(unmatched.count == 3)
        #expect(unmatched[0].contains("two runs") && unmatched[1].contains("no measure \"trustworthines\""))
        #expect(unmatched[2].contains("no measure \"position_probe\""))  // only A has it: B's value can never meet the gate
        let text = DiffText.render(similarity: nil, measures: diff, changesAbove: 0.01)
        #expect(text.contains("measures, B against A (6 of 12 changed)"))
        #expect(text.contains("trustworthiness") && text.contains("-0.0500"))
    }

    @Test func badReportsNameTheFileAndField() throws {
        try TemporaryFolder.with { dir in
            let missing = dir.appendingPathComponent("nothing.json").path
            #expect { try Report.read(at: missing) } throws: { ($0 as? InputError)?.description.contains(missing) ?? false }
            let wrong = dir.appendingPathComponent("report.json")
            try Data(#"{"format": "forkscope.run/1", "layers": []}"#.utf8).write(to: wrong)
            // A folder is read as the site holding report.json.
            #expect { try Report.read(at: dir.path) } throws: { error in
                let text = (error as? InputError)?.description ?? ""
                return text.contains(wrong.path) && text.contains("format")
            }
            try Data("[1, 2]".utf8).write(to: wrong)
            #expect { try Report.read(at: wrong.path) } throws: { ($0 as? InputError)?.description.contains("not a JSON object") ?? false }
        }
    }
}
