import ForkscopeNumerics

/// Every measure, in the order pages show them. Adding a measure: one entry here (its key, how
/// pages present it, its computation from `MeasureInput`), its definition in
/// docs/views-and-measures.md and its NumPy oracle in Tests/Fixtures/reference.py
/// (docs/ARCHITECTURE.md).
extension Measure {
    public static let catalogue: [Measure] = [
        Measure(.positionR2, label: "position R²", help: "share of variance explained by one-hot position (in-sample)",
                chance: .positionR2Chance) { PositionMeans.r2($0.states, groups: $0.groups) },
        Measure(.positionR2Chance, label: "position R², chance", help: "expected position R² of states with no positional signal",
                shown: false) { PositionMeans.chanceR2(groups: $0.groups) },
        Measure("position_r2_heldout", label: "position R², held out", help: "each token predicted by its position's mean in other branches") {
            PositionMeans.heldOutR2($0.states, groups: $0.groups, branches: $0.tokenBranches)
        },
        Measure(.positionProbe, label: "position probe", help: "held-out R² of a ridge probe reading position off the states; ≤ 0 means not decodable") {
            ViewMeasures.heldOutProbe($0.view, input: $0.layer, settings: $0.settings, folds: $0.folds)
        },
        Measure(.positionKnnR2, label: "position kNN R²",
                help: "R² of each token's position read off its 10 nearest neighbours under other root prompts: a nonlinear probe",
                chance: .positionKnnR2Control, chanceName: "control") { $0.positionKNN },
        Measure(.positionKnnR2Control, label: "position kNN R², control",
                help: "the same with positions shuffled within each root prompt (Hewitt & Liang's control task)", shown: false) {
            $0.positionKNNControl
        },
        Measure(.positionKnnSelectivity, label: "position kNN selectivity",
                help: "position kNN R² minus its control: how much position a nonlinear reader finds beyond what the probe makes up") { m in
            m.positionKNN.flatMap { r2 in m.positionKNNControl.map { r2 - $0 } }
        },
        Measure(.rootKnnPurity, label: "root kNN purity", help: "share of each token's 10 nearest neighbours (cosine) under the same root prompt",
                chance: "root_knn_chance") { $0.purity($0.tokenRoots) },
        Measure("root_knn_chance", label: "root kNN purity, chance", help: "root kNN purity of neighbours drawn at random", shown: false) {
            Neighbours.chancePurity(labels: $0.tokenRoots)
        },
        Measure(.branchKnnPurity, label: "branch kNN purity", help: "share of each token's 10 nearest neighbours in the same branch",
                chance: "branch_knn_chance") { $0.purity($0.tokenBranches) },
        Measure("branch_knn_chance", label: "branch kNN purity, chance", help: "branch kNN purity of neighbours drawn at random", shown: false) {
            Neighbours.chancePurity(labels: $0.tokenBranches)
        },
        Measure(.varianceKept, label: "variance kept", help: "share of the raw variance the view keeps") { $0.varianceKept },
        Measure(.clusterAmiPosition, label: "clusters ~ position",
                help: "adjusted mutual information of the view's clusters with position deciles (0: unrelated, 1: the same grouping)") {
            $0.clusters?.agreement.amiPosition
        },
        Measure(.clusterAmiRoot, label: "clusters ~ root prompt", help: "adjusted mutual information of the view's clusters with root prompts") {
            $0.clusters?.agreement.amiRoot
        },
        Measure(.clusterAmiBranch, label: "clusters ~ branch", help: "adjusted mutual information of the view's clusters with branches") {
            $0.clusters?.agreement.amiBranch
        },
        Measure(.clusterAmiToken, label: "clusters ~ token", help: "adjusted mutual information of the view's clusters with token identity") {
            $0.clusters?.agreement.amiToken
        },
        .trustworthiness(of: .pca),
        Measure("silhouette_root", label: "silhouette by root", help: "separation of root prompts in the 2-D PCA (−1…1)", range: 0...0.5) { m in
            m.scoredLayout(.pca).flatMap { LayoutQuality.silhouette($0, labels: m.tokenRoots, queries: m.queries) }
        },
        .trustworthiness(of: .umap),
    ]

    /// How well a 2-D layout keeps each token's nearest neighbours (Venna & Kaski 2001), one
    /// measure per projection kind.
    static func trustworthiness(of kind: ProjectionKind) -> Measure {
        Measure(kind.trustworthinessMeasure, label: kind.measurePrefix + "trustworthiness",
                help: "how well the 2-D \(kind.title) keeps each token's 10 nearest neighbours", range: 0.5...1) { $0.trustworthiness(kind) }
    }
}
