/// How two runs of the same branches, captured from two versions of a model, line up: the tokens
/// compared and the layers paired. The first step of `forkscope diff`.
///
/// Branches pair by id. A branch is compared only when both runs hold it with the same parent,
/// the same token texts and the same positions; any other is listed in `mismatches` and left out,
/// never silently compared. Layers pair by model layer index when both runs captured the same
/// ones, else by relative depth (`LayerPairing`). Hidden sizes may differ.
public struct RunPairing: Sendable {
    /// A branch left out, and why.
    public struct Mismatch: Sendable, Equatable {
        public let branch: String
        public let reason: String
    }

    /// Ids of the branches compared, in A's order.
    public let branches: [String]
    public let mismatches: [Mismatch]
    /// Run token indices (A's, B's) of every token compared, in A's token order.
    public let tokens: [(a: Int, b: Int)]
    public let layers: LayerPairing

    public init(_ a: ActivationRun, _ b: ActivationRun) {
        let indexInB = Dictionary(b.branches.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
        let idsInA = Set(a.branches.map(\.id))
        let offsetsA = a.branchOffsets, offsetsB = b.branchOffsets
        var branches = [String](), mismatches = [Mismatch](), tokens = [(a: Int, b: Int)]()
        for (i, branch) in a.branches.enumerated() {
            guard let j = indexInB[branch.id] else {
                mismatches.append(Mismatch(branch: branch.id, reason: "only in A"))
                continue
            }
            let other = b.branches[j]
            let parentA = branch.parent.map { a.branches[$0].id }, parentB = other.parent.map { b.branches[$0].id }
            if let reason = Self.difference(branch, other, parents: (parentA, parentB)) {
                mismatches.append(Mismatch(branch: branch.id, reason: reason))
                continue
            }
            branches.append(branch.id)
            for t in 0..<branch.tokens.count { tokens.append((offsetsA[i] + t, offsetsB[j] + t)) }
        }
        for branch in b.branches where !idsInA.contains(branch.id) {
            mismatches.append(Mismatch(branch: branch.id, reason: "only in B"))
        }
        self.branches = branches
        self.mismatches = mismatches
        self.tokens = tokens
        self.layers = LayerPairing(a.layers, b.layers)
    }

    /// Why two branches of one id cannot be compared token by token, or nil.
    static func difference(_ a: ActivationRun.Branch, _ b: ActivationRun.Branch, parents: (String?, String?)) -> String? {
        if parents.0 != parents.1 { return "parent \(parents.0 ?? "none") in A, \(parents.1 ?? "none") in B" }
        if a.forkAt != b.forkAt { return "forks at token \(a.forkAt.map(String.init) ?? "none") in A, \(b.forkAt.map(String.init) ?? "none") in B" }
        if a.tokens.count != b.tokens.count { return "\(a.tokens.count) tokens in A, \(b.tokens.count) in B" }
        if let t = a.tokens.indices.first(where: { a.tokens[$0] != b.tokens[$0] }) { return "token \(t) differs" }
        if let t = a.positions.indices.first(where: { a.positions[$0] != b.positions[$0] }) { return "position of token \(t) differs" }
        return nil
    }
}
