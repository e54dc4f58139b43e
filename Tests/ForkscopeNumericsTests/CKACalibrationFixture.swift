import Foundation
import ForkscopeTestSupport

/// Tests/Fixtures/cka/calibration.json, written by NumPy (Tests/Fixtures/cka/calibration.py):
/// identical, rotated, unrelated (16 tokens in 300 dimensions) and related pairs.
struct CKACalibrationFixture: Decodable {
    struct Case: Decodable {
        let name: String
        let x: [[Double]], y: [[Double]]
        let cka: Double, debiased: Double
        let null: [Double]
        let null_mean: Double, null_p95: Double
    }
    let cases: [Case]

    static func load() throws -> CKACalibrationFixture {
        try JSONDecoder().decode(Self.self, from: Data(contentsOf: Fixtures.url("Tests/Fixtures/cka/calibration.json")))
    }
}
