import Foundation
import Testing
import ForkscopeNumerics
import ForkscopeTestSupport
@testable import Forkscope

/// The NumPy reference (Tests/Fixtures/reference.py, float64) against what Swift computes from the
/// same stored runs: norms, distances to the position mean, position_r2, PCA coordinates and
/// explained variance for the `raw` and `position_mean` views.
@Suite("Fixture runs against the NumPy reference")
struct FixtureReferenceTests {
    typealias Kit = RunTestKit
    static let fixtures = ["tree-f32", "tree-f16", "tree-bf16", "hidden-gt-tokens"]
    /// Relative tolerance (of the column's scale) for values computed in double from stored data.
    static let tolerance = 1e-9

    /// One layer of expected.json.
    struct ExpectedLayer {
        struct ViewFigures { var r2: Double?; var explained: [Double]?; var tokens: Int }
        var layer: Int
        var views: [String: ViewFigures]
        var tokens: [[String: Any]]

        func column(_ key: String) -> [Double?] {
            tokens.map { $0[key] as? Double ?? ($0[key] as? NSNumber)?.doubleValue }
        }
    }

    static func expected(_ name: String) throws -> [ExpectedLayer] {
        let data = try Data(contentsOf: Fixtures.run(name).appendingPathComponent("expected.json"))
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let layers = try #require(root["layers"] as? [[String: Any]])
        return try layers.map { l in
            let views = try #require(l["views"] as? [String: [String: Any]])
            var figures = [String: ExpectedLayer.ViewFigures]()
            for (name, v) in views {
                figures[name] = .init(r2: (v["position_r2"] as? NSNumber)?.doubleValue,
                                      explained: (v["pca_explained_variance"] as? [NSNumber])?.map(\.doubleValue),
                                      tokens: try #require((v["tokens"] as? NSNumber)?.intValue))
            }
            return ExpectedLayer(layer: try #require((l["layer"] as? NSNumber)?.intValue), views: figures,
                                 tokens: try #require(l["tokens"] as? [[String: Any]]))
        }
    }

    /// Compares a column with nils in the same places and values within tolerance of its scale.
    static func compare(_ got: [Double?], _ want: [Double?], _ what: String,
                        sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(got.count == want.count, "\(what): count", sourceLocation: sourceLocation)
        let scale = max(1, want.compactMap { $0.map(abs) }.max() ?? 0)
        var worst = 0.0
        for (i, (g, w)) in zip(got, want).enumerated() {
            switch (g, w) {
            case (nil, nil): continue
            case let (g?, w?): worst = max(worst, abs(g - w))
            default:
                Issue.record("\(what): token \(i) is \(String(describing: g)), expected \(String(describing: w))",
                             sourceLocation: sourceLocation)
            }
        }
        #expect(worst <= tolerance * scale, "\(what): largest deviation \(worst) (scale \(scale))",
                sourceLocation: sourceLocation)
    }

    static func compare(_ got: Double?, _ want: Double?, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        switch (got, want) {
        case (nil, nil): break
        case let (g?, w?): #expect(abs(g - w) <= tolerance, "\(what): \(g) vs \(w)", sourceLocation: sourceLocation)
        default: Issue.record("\(what): \(String(describing: got)) vs \(String(describing: want))", sourceLocation: sourceLocation)
        }
    }

    @Test("run order and tokens match the reference", arguments: fixtures)
    func runOrder(name: String) throws {
        let reader = try RunReader(directory: Fixtures.run(name).path)
        let run = reader.run
        #expect(reader.warnings.isEmpty)
        let layers = try Self.expected(name)
        #expect(run.layers == layers.map(\.layer))
        let first = try #require(layers.first)
        #expect(first.tokens.count == run.tokenCount)
        let offsets = run.branchOffsets
        for (i, t) in first.tokens.enumerated() {
            let b = run.tokenBranch[i]
            #expect(t["branch"] as? String == run.branches[b].id, "token \(i)")
            #expect((t["token_index"] as? NSNumber)?.intValue == i - offsets[b], "token \(i)")
            #expect((t["position"] as? NSNumber)?.intValue == run.tokenPositions[i], "token \(i)")
        }
    }

    /// `LayerAnalysis`, the pipeline's per-layer computation, against expected.json (whose
    /// reference fits every token: massive activations kept in).
    @Test("LayerAnalysis matches the reference", arguments: fixtures)
    func layerAnalysis(name: String) throws {
        let reader = try RunReader(directory: Fixtures.run(name).path)
        let run = reader.run
        let expected = try Self.expected(name)
        for (slice, want) in expected.enumerated() {
            let states = try reader.states(slice: slice)
            var options = LayerAnalysis.Options()
            options.views = [.raw, .positionMean]
            options.keepMassive = true
            let a = LayerAnalysis(layer: run.layers[slice], states: states, zeroPE: nil, run: run, options: options)
            let where_ = "\(name) layer \(want.layer)"
            #expect(a.layer == want.layer)
            Self.compare(a.norms, want.column("norm"), "\(where_) norm")
            Self.compare(a.distanceToPositionMean, want.column("dist_to_position_mean"), "\(where_) distance")
            #expect(a.views.map(\.view) == [.raw, .positionMean])
            for result in a.views {
                let key = result.view.name
                let figures = try #require(want.views[key])
                #expect(result.measures.tokens == figures.tokens, "\(where_) \(key) tokens")
                Self.compare(result.measures[.positionR2], figures.r2, "\(where_) \(key) position_r2")
                if let explained = figures.explained {
                    #expect(result.layouts[.pca]!.explainedVariance.count == 2)
                    for k in 0..<min(2, result.layouts[.pca]!.explainedVariance.count) {
                        Self.compare(result.layouts[.pca]!.explainedVariance[k], explained[k], "\(where_) \(key) explained[\(k)]")
                    }
                } else {
                    #expect(result.layouts[.pca]!.explainedVariance.isEmpty)
                }
                Self.compare(result.layouts[.pca]!.points.map { $0?.x }, want.column("\(key)_pc1"), "\(where_) \(key)_pc1")
                Self.compare(result.layouts[.pca]!.points.map { $0?.y }, want.column("\(key)_pc2"), "\(where_) \(key)_pc2")
            }
        }
    }

    /// The numerics directly (PositionGroups, PositionMeans, PCA) on the states RunReader returns.
    @Test("numerics match the reference", arguments: fixtures)
    func numerics(name: String) throws {
        let reader = try RunReader(directory: Fixtures.run(name).path)
        let run = reader.run
        let expected = try Self.expected(name)
        let groups = PositionGroups(positions: run.tokenPositions, branches: run.tokenBranch)
        for (slice, want) in expected.enumerated() {
            let x = try reader.states(slice: slice)
            let where_ = "\(name) layer \(want.layer)"
            #expect(groups.supportedTokens.count == want.views["position_mean"]?.tokens)

            Self.compare(x.rowNorms(), want.column("norm"), "\(where_) norm")
            Self.compare(PositionMeans.distances(x, groups: groups), want.column("dist_to_position_mean"), "\(where_) distance")
            Self.compare(PositionMeans.r2(x, groups: groups), want.views["raw"]?.r2, "\(where_) raw position_r2")

            let raw = PCA(fitting: x, components: 2)
            Self.compare(raw.explainedVarianceRatio[0], want.views["raw"]?.explained?[0], "\(where_) raw explained[0]")
            Self.compare(raw.explainedVarianceRatio[1], want.views["raw"]?.explained?[1], "\(where_) raw explained[1]")
            Self.compare((0..<x.rows).map { raw.scores[$0, 0] }, want.column("raw_pc1"), "\(where_) raw pc1")
            Self.compare((0..<x.rows).map { raw.scores[$0, 1] }, want.column("raw_pc2"), "\(where_) raw pc2")

            let (tokens, residual) = PositionMeans.debias(x, groups: groups)
            let sub = PositionGroups(positions: tokens.map { run.tokenPositions[$0] }, branches: tokens.map { run.tokenBranch[$0] })
            Self.compare(PositionMeans.r2(residual, groups: sub), want.views["position_mean"]?.r2, "\(where_) position_mean position_r2")
            let pm = PCA(fitting: residual, components: 2)
            Self.compare(pm.explainedVarianceRatio[0], want.views["position_mean"]?.explained?[0], "\(where_) pm explained[0]")
            Self.compare(pm.explainedVarianceRatio[1], want.views["position_mean"]?.explained?[1], "\(where_) pm explained[1]")
            var pc1 = [Double?](repeating: nil, count: x.rows), pc2 = pc1
            for (row, t) in tokens.enumerated() { pc1[t] = pm.scores[row, 0]; pc2[t] = pm.scores[row, 1] }
            Self.compare(pc1, want.column("position_mean_pc1"), "\(where_) position_mean pc1")
            Self.compare(pc2, want.column("position_mean_pc2"), "\(where_) position_mean pc2")
        }
    }

    /// hidden-gt-tokens has fewer tokens (14) than dimensions (64), so PCA runs on the Gram matrix;
    /// the tree fixtures (26 tokens, hidden 8) on the covariance. Make sure both are exercised.
    @Test func fixturesCoverBothPCAPaths() throws {
        let small = try RunReader(directory: Fixtures.run("hidden-gt-tokens").path).run
        #expect(small.tokenCount <= small.hiddenSize)
        let tree = try RunReader(directory: Fixtures.run("tree-f32").path).run
        #expect(tree.tokenCount > tree.hiddenSize)
    }

    /// The three tree fixtures store the same tree; F16 and BF16 are roundings of the F32 states.
    @Test func treeFixturesAgreeUpToRounding() throws {
        let f32 = try RunReader(directory: Fixtures.run("tree-f32").path)
        for (name, relative) in [("tree-f16", 0x1p-11), ("tree-bf16", 0x1p-8)] {
            let other = try RunReader(directory: Fixtures.run(name).path)
            #expect(other.run.branches == f32.run.branches)
            for slice in f32.run.layers.indices {
                let a = try f32.states(slice: slice), b = try other.states(slice: slice)
                #expect(a.rows == b.rows && a.cols == b.cols)
                // Round to nearest: error at most half an ulp, i.e. 2^-(p) relative (p = 11 or 8 bits).
                // (F16 subnormals have a larger relative error; allow an absolute 2^-25 for those.)
                for (u, v) in zip(a.storage, b.storage) {
                    #expect(abs(u - v) <= relative * abs(u) + 0x1p-25, "\(name): \(u) stored as \(v)")
                }
                #expect(a.storage != b.storage, "\(name) is not rounded at all?")
            }
        }
    }
}
