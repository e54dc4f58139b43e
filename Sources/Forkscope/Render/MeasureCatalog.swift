/// The measures as pages present them: label, one-line meaning, how to read the value, and the
/// chance level beside it where there is one. Definitions: docs/views-and-measures.md.
struct MeasureEntry: Sendable {
    let key: String
    let label: String
    let help: String
    let value: @Sendable (ViewMeasures) -> Double?
    let chance: (@Sendable (ViewMeasures) -> Double?)?
    /// The y range a sweep chart always shows.
    let range: ClosedRange<Double>
}

enum MeasureCatalog {
    static let all: [MeasureEntry] = [
        MeasureEntry(key: "position_r2", label: "position R²", help: "share of variance explained by one-hot position (in-sample)",
                     value: { $0.positionR2 }, chance: { $0.positionR2Chance }, range: 0...1),
        MeasureEntry(key: "position_r2_heldout", label: "position R², held out", help: "each token predicted by its position's mean in other branches",
                     value: { $0.positionR2HeldOut }, chance: nil, range: 0...1),
        MeasureEntry(key: "position_probe", label: "position probe", help: "held-out R² of a ridge probe reading position off the states; ≤ 0 means not decodable",
                     value: { $0.positionProbe }, chance: nil, range: 0...1),
        MeasureEntry(key: "root_knn_purity", label: "root kNN purity", help: "share of each token's 10 nearest neighbours (cosine) under the same root prompt",
                     value: { $0.rootKnnPurity }, chance: { $0.rootKnnChance }, range: 0...1),
        MeasureEntry(key: "branch_knn_purity", label: "branch kNN purity", help: "share of each token's 10 nearest neighbours in the same branch",
                     value: { $0.branchKnnPurity }, chance: { $0.branchKnnChance }, range: 0...1),
        MeasureEntry(key: "variance_kept", label: "variance kept", help: "share of the raw variance the view keeps",
                     value: { $0.varianceKept }, chance: nil, range: 0...1),
        MeasureEntry(key: "trustworthiness", label: "trustworthiness", help: "how well the 2-D PCA keeps each token's 10 nearest neighbours",
                     value: { $0.trustworthiness }, chance: nil, range: 0.5...1),
        MeasureEntry(key: "silhouette_root", label: "silhouette by root", help: "separation of root prompts in the 2-D PCA (−1…1)",
                     value: { $0.silhouetteRoot }, chance: nil, range: 0...0.5),
        MeasureEntry(key: "umap_trustworthiness", label: "UMAP trustworthiness", help: "how well the 2-D UMAP keeps each token's 10 nearest neighbours",
                     value: { $0.umapTrustworthiness }, chance: nil, range: 0.5...1),
    ]
}
