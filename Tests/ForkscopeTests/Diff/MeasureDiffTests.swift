import Foundation
import Testing
@testable import Forkscope

/// The measures half of `forkscope diff`, from two report.json files.
struct MeasureDiffTests {
    static func report(_ layers: [(Int, [String: [String: Any]])]) -> [String: Any] {
        ["format": "forkscope.report/1", "layers": layers.map { ["layer": $0.0, "views": $0.1] as [String: Any] }]
    }

    @Test func rowsPairLayersViewsAndMeasures() {
        let a = Self.report([(0, ["raw": ["trustworthiness": 0.9, "pca_explained_variance": [0.5, 0.2], "umap_initialisation": "spectral",
                                          "silhouette_root": NSNull()],
                                  "leace": ["position_probe": 0.1]]),
                             (4, ["raw": ["trustworthiness": 0.8]])])
        let b = Self.report([(0, ["raw": ["trustworthiness": 0.85, "pca_explained_variance": [0.5, 0.25], "silhouette_root": 0.3]]),
                             (8, ["raw": ["trustworthiness": 0.8]])])
        let diff = MeasureDiff(a, b)
        let rows = diff.rows.map { "\($0.layerA)~\($0.layerB) \($0.view) \($0.measure) \($0.a.map { "\($0)" } ?? "-") \($0.b.map { "\($0)" } ?? "-")" }
        // leace is only in A: shown against nothing; the text field is not a measure; null in A is kept against B's number.
        #expect(rows == ["0~0 raw pca_explained_variance[0] 0.5 0.5", "0~0 raw pca_explained_variance[1] 0.2 0.25",
                         "0~0 raw silhouette_root - 0.3", "0~0 raw trustworthiness 0.9 0.85", "0~0 leace position_probe 0.1 -",
                         "4~8 raw trustworthiness 0.8 0.8"])
        #expect(abs(diff.rows[3].delta! + 0.05) < 1e-15)
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
        #expect(text.contains("measures, B against A (4 of 6 changed)"))
        #expect(text.contains("trustworthiness") && text.contains("-0.0500"))
    }

    @Test func badReportsNameTheFileAndField() throws {
        try RunTestKit.withTemporaryDirectory { dir in
            let missing = dir.appendingPathComponent("nothing.json").path
            #expect { try MeasureDiff.report(at: missing) } throws: { ($0 as? InputError)?.description.contains(missing) ?? false }
            let wrong = dir.appendingPathComponent("report.json")
            try Data(#"{"format": "forkscope.run/1", "layers": []}"#.utf8).write(to: wrong)
            // A folder is read as the site holding report.json.
            #expect { try MeasureDiff.report(at: dir.path) } throws: { error in
                let text = (error as? InputError)?.description ?? ""
                return text.contains(wrong.path) && text.contains("format")
            }
            try Data("[1, 2]".utf8).write(to: wrong)
            #expect { try MeasureDiff.report(at: wrong.path) } throws: { ($0 as? InputError)?.description.contains("not a JSON object") ?? false }
        }
    }
}
