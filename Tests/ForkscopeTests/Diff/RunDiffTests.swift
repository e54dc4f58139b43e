import Foundation
import Testing
import ForkscopeNumerics
import ForkscopeTestSupport
@testable import Forkscope

/// `forkscope diff` on the synthetic fixture run against a copy whose states the test changes in
/// known ways, layer by layer: the text diff and `--fail-if` must show exactly those changes.
struct RunDiffTests {
    enum Change { case same, rotated, shuffled, shifted }

    /// Writes B: the fixture's run.json and zero_pe variant as they are, its main states changed
    /// per layer (F32).
    static func writeCopy(of reader: RunReader, to dir: URL, changes: [Change]) throws {
        let source = Fixtures.run("synthetic")
        for file in ["run.json", "activations.zero_pe.safetensors"] {
            try FileManager.default.copyItem(at: source.appendingPathComponent(file), to: dir.appendingPathComponent(file))
        }
        let run = reader.run, d = run.hiddenSize
        let layers = try run.layers.indices.map { slice -> Matrix in
            let x = try reader.states(slice: slice)
            switch changes[slice] {
            case .same:
                return x
            case .rotated:
                var y = x.multiplied(by: LayerSimilarityTests.rotation(d, seed: 21))
                for i in 0..<y.storage.count { y.storage[i] *= 3 }
                return y
            case .shuffled:
                var rng = SeededGenerator(seed: 5)
                var order = Array(0..<x.rows)
                for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(rng.nextUnit() * Double(i + 1))) }
                return x.selectingRows(order)
            case .shifted:
                // Continuation tokens (branches with a parent) move along dimension 0 by twice the median norm.
                var y = x
                let scale = x.rowNorms().sorted()[x.rows / 2]
                for (t, b) in run.tokenBranch.enumerated() where run.branches[b].parent != nil { y[t, 0] += 2 * scale }
                return y
            }
        }
        let offsets = run.branchOffsets
        let tensors = run.branches.enumerated().map { b, branch -> RunWriter.Tensor in
            var values = [Float]()
            for layer in layers { for t in 0..<branch.tokens.count { for c in 0..<d { values.append(Float(layer[offsets[b] + t, c])) } } }
            return RunWriter.Tensor(name: branch.id, dtype: "F32", shape: [layers.count, branch.tokens.count, d],
                                    data: RunWriter.encode(values, as: "F32"))
        }
        try RunWriter.safetensors(tensors).write(to: dir.appendingPathComponent("activations.safetensors"))
    }

    @Test func showsExactlyThePlantedChanges() throws {
        let a = try RunReader(directory: Fixtures.run("synthetic").path)
        try TemporaryFolder.with { dir in
            try Self.writeCopy(of: a, to: dir, changes: [.rotated, .shuffled, .shifted])
            let diff = try RunDiff(a, RunReader(directory: dir.path), threads: 2)
            #expect(diff.pairing.mismatches.isEmpty && diff.layers.count == 3)
            let raw = diff.layers.map { $0.entries.first { $0.view == .raw }!.cka! }
            #expect(abs(raw[0] - 1) < 1e-6)          // stored as F32: rotation survives to ~1e-7
            #expect(raw[1] < 0.6)
            #expect(raw[2] < 0.95 && raw[2] > 0.2)
            // zero_pe was copied unchanged: 1 at every layer.
            for layer in diff.layers { #expect(abs(layer.entries.first { $0.view.base == .zeroPE }!.cka! - 1) < 1e-12) }
            // Every debiased view sees the rotation as nothing and the shuffle as a change; but not
            // the z-scored ones: z-scoring each dimension does not commute with a rotation.
            for entry in diff.layers[0].entries {
                if entry.view.standardized { #expect(entry.cka! < 1 - 1e-4, "\(entry.view)") } else { #expect(abs(entry.cka! - 1) < 1e-6, "\(entry.view)") }
            }
            for entry in diff.layers[1].entries where entry.view.base != .zeroPE { #expect(entry.cka! < 0.6, "\(entry.view)") }

            // Each run analysed as a build would: measures that rotation and scaling cannot change
            // stay (to F32 storage), the shuffled layer's change.
            let measures = diff.measures
            func row(_ layer: Int, _ view: String, _ measure: String) -> MeasureDiff.Row? {
                measures.rows.first { $0.layerA == layer && $0.view == view && $0.measure == measure }
            }
            for measure in ["position_r2", "trustworthiness", "root_knn_purity", "pca_explained_variance[0]", "variance_kept"] {
                let r = try #require(row(0, "raw", measure) ?? row(0, "position_mean", measure), "\(measure)")
                #expect(abs(try #require(r.delta)) < 1e-5, "\(measure): \(r)")
            }
            #expect(abs(try #require(row(1, "raw", "root_knn_purity")?.delta)) > 0.05)

            let gate = try #require(FailCondition("cka.raw<0.99"))
            let failures = DiffText.failures([gate], similarity: diff, measures: nil)
            #expect(failures.count == 2)
            #expect(failures[0].hasPrefix("cka.raw<0.99: layer 1 raw") && failures[1].hasPrefix("cka.raw<0.99: layer 2 raw"))
            #expect(DiffText.unmatched([gate, FailCondition("cka.nonsense<1")!], similarity: diff, measures: diff.measures)
                    == ["cka.nonsense<1: no view \"nonsense\" (compared: \(View.defaults.map(\.name).joined(separator: ", ")))"])
            let text = DiffText.render(similarity: diff, measures: nil)
            #expect(text.contains("branches: 17 compared (149 tokens)"))
            #expect(text.contains("\n0          1.000"))
        }
    }

    /// The committed B (Tests/Fixtures/runs/synthetic-b, by Tests/Fixtures/cka/make_diff_fixture.py):
    /// raw and position_mean CKA and token counts as NumPy computes them from the same files.
    @Test func agreesWithTheNumPyReference() throws {
        struct Expected: Decodable {
            struct Layer: Decodable { let layer: Int; let raw: Double; let position_mean: Double; let tokens: [String: Int] }
            let layers: [Layer]
        }
        let dirB = Fixtures.run("synthetic-b")
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: dirB.appendingPathComponent("expected_cka.json")))
        let diff = try RunDiff(RunReader(directory: Fixtures.run("synthetic").path), RunReader(directory: dirB.path),
                               views: [.raw, .positionMean], maps: false, threads: 1)
        #expect(diff.layers.count == expected.layers.count)
        for (layer, want) in zip(diff.layers, expected.layers) {
            #expect(layer.layerA == want.layer)
            let raw = layer.entries[0], mean = layer.entries[1]
            #expect(abs(try #require(raw.cka) - want.raw) < 1e-9, "layer \(want.layer) raw")
            #expect(abs(try #require(mean.cka) - want.position_mean) < 1e-9, "layer \(want.layer) position_mean")
            #expect(raw.tokens == want.tokens["raw"] && mean.tokens == want.tokens["position_mean"])
        }
    }
}

/// What the diff site draws for the committed planted copy, against NumPy
/// (Tests/Fixtures/cka/make_diff_fixture.py → runs/synthetic-b/expected_site.json).
struct RunDiffSiteReferenceTests {
    struct Expected: Decodable {
        struct Layer: Decodable {
            let layer: Int
            let tokens: [Int]
            let pca_a: [[Double]]
            let pca_b_aligned: [[Double]]
            let neighbour_change: [Double]
        }
        let layers: [Layer]
        let map_tokens: Int
        let map_raw: [[Double]]
        let map_position_mean: [[Double]]
    }

    static func diff() throws -> (RunDiff, Expected) {
        let dirB = Fixtures.run("synthetic-b")
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: dirB.appendingPathComponent("expected_site.json")))
        let diff = try RunDiff(RunReader(directory: Fixtures.run("synthetic").path), RunReader(directory: dirB.path),
                               views: [.raw, .positionMean], threads: 2)
        return (diff, expected)
    }

    /// A's PCA and B's turned onto it by orthogonal Procrustes, for every compared token, within 1e-6.
    @Test func alignedProjectionsAgreeWithNumPy() throws {
        let (diff, expected) = try Self.diff()
        for (layer, want) in zip(diff.layers, expected.layers) {
            let raw = layer.entries[0]
            #expect(raw.compared == want.tokens, "layer \(want.layer)")
            let a = try #require(raw.pcaA), b = try #require(raw.pcaB)
            var worst = 0.0
            for (k, t) in want.tokens.enumerated() {
                let p = try #require(a.points[t]), q = try #require(b.points[t])
                worst = max(worst, abs(p.x - want.pca_a[k][0]), abs(p.y - want.pca_a[k][1]),
                            abs(q.x - want.pca_b_aligned[k][0]), abs(q.y - want.pca_b_aligned[k][1]))
            }
            #expect(worst < 1e-6, "layer \(want.layer): largest deviation \(worst)")
        }
    }

    /// Each compared token's neighbour change, exactly; the rotated layer 0 changes no neighbourhood.
    @Test func neighbourChangesAgreeWithNumPy() throws {
        let (diff, expected) = try Self.diff()
        for (layer, want) in zip(diff.layers, expected.layers) {
            let raw = layer.entries[0]
            #expect(raw.neighbourTokens == want.tokens.count)
            for (k, t) in want.tokens.enumerated() {
                #expect(abs((raw.neighbourChange[t] ?? -1) - want.neighbour_change[k]) < 1e-12, "layer \(want.layer) token \(t)")
            }
        }
        #expect(diff.layers[0].entries.allSatisfy { $0.neighbourChange.allSatisfy { ($0 ?? 0) == 0 } })
    }

    /// The layer × layer maps of raw and of the content view (position_mean here), within 1e-9.
    @Test func layerMapsAgreeWithNumPy() throws {
        let (diff, expected) = try Self.diff()
        #expect(diff.contentView?.view == .positionMean)
        #expect(diff.maps.map(\.view) == [.raw, .positionMean])
        for (map, want) in zip(diff.maps, [expected.map_raw, expected.map_position_mean]) {
            #expect(map.tokens == expected.map_tokens && map.candidates == expected.map_tokens)
            #expect(map.layersA == [0, 1, 2] && map.layersB == [0, 1, 2])
            for i in 0..<3 { for j in 0..<3 { #expect(abs(map.cka[i, j] - want[i][j]) < 1e-9, "\(map.view.name) [\(i), \(j)]") } }
        }
    }
}

/// Two versions of different depth and width: B has five layers of 64 dimensions, its layers 0, 2
/// and 4 A's three layers turned into 64 dimensions by an orthonormal map (the same
/// representations), its layers 1 and 3 A's layer 1 with its tokens shuffled.
struct RunDiffDepthTests {
    @Test func layersPairByDepthAndTheMapsCoverEveryLayerOfBoth() throws {
        let a = try RunReader(directory: Fixtures.run("synthetic").path)
        try TemporaryFolder.with { dir in
            let d = a.run.hiddenSize, wide = 64
            // d × 64 with orthonormal rows: the first d columns of a 64 × 64 rotation, transposed.
            let q = LayerSimilarityTests.rotation(wide, seed: 4)
            var embed = Matrix(rows: d, cols: wide)
            for i in 0..<d { for j in 0..<wide { embed[i, j] = q[j, i] } }
            let states = try a.run.layers.indices.map { try a.states(slice: $0) }
            var rng = SeededGenerator(seed: 11)
            var order = Array(0..<states[1].rows)
            for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(rng.nextUnit() * Double(i + 1))) }
            let shuffled = states[1].selectingRows(order).multiplied(by: embed)
            let layers = [states[0].multiplied(by: embed), shuffled, states[1].multiplied(by: embed), shuffled, states[2].multiplied(by: embed)]

            var manifest = try #require(try JSONSerialization.jsonObject(
                with: Data(contentsOf: Fixtures.run("synthetic").appendingPathComponent("run.json"))) as? [String: Any])
            manifest["layers"] = [0, 3, 6, 9, 12]
            manifest["hidden_size"] = wide
            manifest.removeValue(forKey: "variants")
            let offsets = a.run.branchOffsets
            let tensors = a.run.branches.enumerated().map { b, branch -> RunWriter.Tensor in
                var values = [Float]()
                for layer in layers { for t in 0..<branch.tokens.count { for c in 0..<wide { values.append(Float(layer[offsets[b] + t, c])) } } }
                return RunWriter.Tensor(name: branch.id, dtype: "F32", shape: [layers.count, branch.tokens.count, wide],
                                        data: RunWriter.encode(values, as: "F32"))
            }
            try RunWriter(manifest: manifest, tensors: tensors).write(to: dir)

            let diff = try RunDiff(a, RunReader(directory: dir.path), views: [.raw, .positionMean], threads: 2)
            #expect(diff.pairing.layers.byDepth)
            #expect(diff.layers.map { [$0.layerA, $0.layerB] } == [[0, 0], [1, 6], [2, 12]])
            for layer in diff.layers { for e in layer.entries { #expect(abs(e.cka! - 1) < 1e-6, "\(layer.layerA) \(e.view.name)") } }
            #expect(diff.maps.count == 2)
            for map in diff.maps {
                #expect(map.layersA == [0, 1, 2] && map.layersB == [0, 3, 6, 9, 12])
                // A's layer k is B's layer 2k: 1 there; the shuffled layers 3 and 9 are far from every layer of A.
                for k in 0..<3 { #expect(abs(map.cka[k, 2 * k] - 1) < 1e-6, "\(map.view.name) [\(k), \(2 * k)]") }
                for k in 0..<3 { for j in [1, 3] { #expect(map.cka[k, j] < 0.5, "\(map.view.name) [\(k), \(j)]: \(map.cka[k, j])") } }
            }
        }
    }
}
