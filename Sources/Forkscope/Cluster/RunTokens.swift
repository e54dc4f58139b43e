/// What clustering reads of the run for each token (run order): its text, position, branch and
/// root group, and the names pages and report.json give branches and root groups.
public struct RunTokens: Sendable {
    public let texts: [String]
    public let positions: [Int]
    public let branches: [Int]
    public let roots: [Int]
    public let branchIDs: [String]
    /// Root group names by group index (`ActivationRun.tokenRootGroups` numbers them in name order).
    public let rootNames: [String]

    public init(_ run: ActivationRun) {
        texts = run.branches.flatMap(\.tokens)
        positions = run.tokenPositions
        branches = run.tokenBranch
        roots = run.tokenRootGroups
        branchIDs = run.branches.map(\.id)
        rootNames = Set(run.rootGroupNames).sorted()
    }

    init(texts: [String], positions: [Int], branches: [Int], roots: [Int], branchIDs: [String], rootNames: [String]) {
        self.texts = texts
        self.positions = positions
        self.branches = branches
        self.roots = roots
        self.branchIDs = branchIDs
        self.rootNames = rootNames
    }
}
