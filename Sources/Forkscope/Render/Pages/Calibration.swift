import Foundation

/// CKA's calibration for one pair of layers and view, as the pages print it: debiased CKA, the
/// permutation null's mean and 95th percentile, and mutual k-NN agreement with its chance level.
struct Calibration: Sendable {
    var cka: String
    var debiased: String
    var nullMean: String
    var nullP95: String
    var mutualKNN: String
    var knnChance: String
    /// CKA at or below the null's 95th percentile: no evidence of shared structure.
    var withinNull: Bool

    init(_ e: LayerSimilarity.Entry) {
        func figure(_ v: Double?) -> String { v.map { String(format: "%.3f", $0) } ?? "—" }
        cka = figure(e.cka)
        debiased = figure(e.ckaDebiased)
        nullMean = figure(e.null?.mean)
        nullP95 = figure(e.null?.p95)
        mutualKNN = figure(e.mutualKNN)
        knnChance = e.neighbourTokens > 1 ? figure(Double(ViewMeasures.neighbours) / Double(e.neighbourTokens - 1)) : "—"
        withinNull = Self.withinNull(e)
    }

    static func withinNull(_ e: LayerSimilarity.Entry) -> Bool {
        guard let cka = e.cka, let p95 = e.null?.p95 else { return false }
        return cka <= p95
    }

    /// The sentence a tooltip or a page gives.
    var sentence: String {
        "debiased CKA \(debiased); permutation null \(nullMean) (95th percentile \(nullP95))\(withinNull ? ", CKA within it" : ""); mutual kNN \(mutualKNN) (chance \(knnChance))"
    }
}
