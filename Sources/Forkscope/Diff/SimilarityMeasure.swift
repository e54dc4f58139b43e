/// What `forkscope diff` gives for each pair of layers and view to say how alike A and B are, by
/// the names diff.json and `--fail-if` use: linear CKA and its calibration.
public enum SimilarityMeasure: String, CaseIterable, Sendable {
    case cka
    case ckaDebiased = "cka_debiased"
    case ckaNullMean = "cka_null_mean"
    case ckaNullP95 = "cka_null_p95"
    case mutualKNN = "mutual_knn"

    public func value(of entry: LayerSimilarity.Entry) -> Double? {
        switch self {
        case .cka: entry.cka
        case .ckaDebiased: entry.ckaDebiased
        case .ckaNullMean: entry.null?.mean
        case .ckaNullP95: entry.null?.p95
        case .mutualKNN: entry.mutualKNN
        }
    }
}
