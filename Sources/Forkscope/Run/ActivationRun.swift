/// A validated activation run (`forkscope.run/1`): the branch tree and its tokens.
///
/// Tokens are addressed in *run order*: branches in the order run.json lists them, each branch's
/// own tokens in order. Every state matrix the pipeline builds has one row per token in this order.
public struct ActivationRun: Sendable {
    public struct Model: Sendable, Equatable {
        public var name: String
        public var version: String?
        public var positionalEncoding: String?
    }

    public struct Branch: Sendable, Equatable {
        public var id: String
        public var label: String
        /// Index into `branches` of the parent, nil for a root.
        public var parent: Int?
        /// How many of the parent's own tokens precede this branch's first token.
        public var forkAt: Int?
        public var tokens: [String]
        public var positions: [Int]
        public var logprobs: [Double?]?
        /// The topic group run.json gives the branch (`group`), if any: the natural "root" for
        /// content measures in runs without a tree.
        public var group: String?
    }

    public static let format = "forkscope.run/1"

    public var title: String
    public var model: Model
    /// The model layer index of each slice along axis 0 of every tensor.
    public var layers: [Int]
    public var hiddenSize: Int
    /// The safetensors file of the main states, relative to the run folder.
    public var tensorsFile: String
    /// Other captures of the same tokens (e.g. `zero_pe`), name to file, sorted by name.
    public var variants: [(name: String, file: String)]
    public var branches: [Branch]

    /// Index of the first token of each branch in run order, plus the total at the end.
    public var branchOffsets: [Int] {
        var offsets = [0]
        for b in branches { offsets.append(offsets.last! + b.tokens.count) }
        return offsets
    }

    public var tokenCount: Int { branches.reduce(0) { $0 + $1.tokens.count } }

    /// The branch of every token in run order.
    public var tokenBranch: [Int] {
        branches.indices.flatMap { b in Array(repeating: b, count: branches[b].tokens.count) }
    }

    /// The position of every token in run order.
    public var tokenPositions: [Int] { branches.flatMap(\.positions) }

    /// Children of each branch, in run order.
    public var children: [[Int]] {
        var out = [[Int]](repeating: [], count: branches.count)
        for (i, b) in branches.enumerated() { if let p = b.parent { out[p].append(i) } }
        return out
    }

    public var roots: [Int] { branches.indices.filter { branches[$0].parent == nil } }

    /// The root group of every branch: its `group` when run.json gives one, else its root's id.
    public var rootGroupNames: [String] {
        branches.indices.map { b in
            if let g = branches[b].group { return g }
            var current = b
            while let p = branches[current].parent { current = p }
            return branches[current].id
        }
    }

    /// The root group of every token in run order, as an index into the sorted distinct names.
    public var tokenRootGroups: [Int] {
        let names = rootGroupNames
        let index = Dictionary(uniqueKeysWithValues: Set(names).sorted().enumerated().map { ($1, $0) })
        return branches.indices.flatMap { b in Array(repeating: index[names[b]]!, count: branches[b].tokens.count) }
    }

    /// The chain of (branch, number of its tokens) that precedes a branch's own tokens, from its
    /// root down: the prefix it inherits.
    public func inheritedPrefix(of branch: Int) -> [(branch: Int, count: Int)] {
        var chain = [(branch: Int, count: Int)]()
        var current = branch
        while let p = branches[current].parent, let fork = branches[current].forkAt {
            chain.append((p, fork))
            current = p
        }
        return chain.reversed()
    }

    /// The run-order token a branch's trajectory starts from: the parent token it forks after.
    public func forkToken(of branch: Int) -> Int? {
        guard let p = branches[branch].parent, let fork = branches[branch].forkAt else { return nil }
        return branchOffsets[p] + fork - 1
    }
}

extension ActivationRun {
    /// The variant whose states are the `zero_pe` view: the same tokens run with position removed.
    public static let zeroPEVariant = "zero_pe"

    public var hasZeroPE: Bool { variants.contains { $0.name == Self.zeroPEVariant } }
}

extension ActivationRun {
    /// Up to `width` tokens before token `j` of branch `b` in the branch's full sequence (the
    /// inherited prefix included) and up to `width` after it among the branch's own tokens.
    public func context(branch b: Int, index j: Int, width: Int) -> (before: [String], after: [String]) {
        let own = branches[b].tokens
        var before = Array(own[max(0, j - width)..<j])
        for link in inheritedPrefix(of: b).reversed() where before.count < width {
            before = Array(branches[link.branch].tokens[..<link.count].suffix(width - before.count)) + before
        }
        return (before, Array(own[(j + 1)..<min(own.count, j + 1 + width)]))
    }
}
