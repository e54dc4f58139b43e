/// One measure of a view at a layer, as data: its `report.json` key, how pages present it, and how
/// it is computed from the view's fitted states. Every measure is listed once, in
/// `Measure.catalogue` (MeasureCatalogue.swift); definitions: docs/views-and-measures.md.
public struct Measure: Sendable {
    /// A measure's key in report.json (`forkscope.report/1`): stable, never renamed.
    public struct ID: RawRepresentable, Hashable, Sendable, Codable, ExpressibleByStringLiteral, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public init(stringLiteral value: String) { rawValue = value }
        public var description: String { rawValue }
    }

    public let id: ID
    /// Short name on pages ("root kNN purity").
    public let label: String
    /// One line: what the value means.
    public let help: String
    /// The y range a sweep chart always shows.
    public let range: ClosedRange<Double>
    /// The measure whose value is this one's chance level, shown beside it.
    public let chance: ID?
    /// What pages call that level: "chance", or "control" for a probe's control task.
    public let chanceName: String
    /// Whether pages give it a row and a chart of its own (a chance level is shown beside its measure instead).
    public let shown: Bool
    /// How it is computed; nil where it does not apply (too few tokens, no such layout).
    let compute: @Sendable (MeasureInput) -> Double?

    init(_ id: ID, label: String, help: String, range: ClosedRange<Double> = 0...1, chance: ID? = nil, chanceName: String = "chance",
         shown: Bool = true, compute: @escaping @Sendable (MeasureInput) -> Double?) {
        self.id = id
        self.label = label
        self.help = help
        self.range = range
        self.chance = chance
        self.chanceName = chanceName
        self.shown = shown
        self.compute = compute
    }
}

/// The keys the pipeline and pages name directly (the verdict, the index's table); every other
/// measure is reached through the catalogue.
extension Measure.ID {
    public static let positionR2: Self = "position_r2"
    public static let positionR2Chance: Self = "position_r2_chance"
    public static let positionProbe: Self = "position_probe"
    public static let positionKnnR2: Self = "position_knn_r2"
    public static let positionKnnR2Control: Self = "position_knn_r2_control"
    public static let positionKnnSelectivity: Self = "position_knn_selectivity"
    public static let rootKnnPurity: Self = "root_knn_purity"
    public static let branchKnnPurity: Self = "branch_knn_purity"
    public static let varianceKept: Self = "variance_kept"
    public static let clusterAmiPosition: Self = "cluster_ami_position"
    public static let clusterAmiRoot: Self = "cluster_ami_root"
    public static let clusterAmiBranch: Self = "cluster_ami_branch"
    public static let clusterAmiToken: Self = "cluster_ami_token"
}
