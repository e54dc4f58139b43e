import Foundation
import Testing
import ForkscopeNumerics
import ForkscopeTestSupport
@testable import Forkscope

/// `forkscope diff V1 … Vn` on a series with a planted change: five versions of the synthetic
/// fixture run, the first three the run itself, the last two with layer 1's tokens shuffled. The
/// change must show exactly at layer 1 of the pairs that cross version 4, nowhere else.
struct SeriesDiffTests {
    static let changedFrom = 3

    static func withSeries<T>(_ body: ([String]) throws -> T) throws -> T {
        let a = try RunReader(directory: Fixtures.run("synthetic").path)
        return try TemporaryFolder.with { dir in
            try RunDiffTests.writeCopy(of: a, to: dir, changes: [.same, .shuffled, .same])
            let same = Fixtures.run("synthetic").path
            return try body([same, same, same, dir.path, dir.path])
        }
    }

    @Test(arguments: [SeriesDiff.Baseline.first, .previous])
    func showsThePlantedChangeExactlyWhereItIs(_ against: SeriesDiff.Baseline) throws {
        try Self.withSeries { paths in
            let series = try SeriesDiff(paths.map { try RunReader(directory: $0) }, against: against, views: [.raw, .positionMean], maps: false)
            #expect(series.bases == (against == .first ? [0, 0, 0, 0] : [0, 1, 2, 3]))
            #expect(series.analyses.count == 5 && series.analyses.allSatisfy { $0.count == 3 })
            for (i, pair) in series.pairs.enumerated() {
                let crosses = (series.bases[i] >= Self.changedFrom) != (i + 1 >= Self.changedFrom)
                for (slice, layer) in pair.layers.enumerated() {
                    for e in layer.entries {
                        let what = "\(against) pair \(i) layer \(slice) \(e.view)"
                        if crosses && slice == 1 {
                            #expect(e.cka! < 0.6 && e.ckaDebiased! < 0.3 && e.mutualKNN! < 0.5, "\(what)")
                        } else {
                            #expect(abs(e.cka! - 1) < 1e-9 && abs(e.ckaDebiased! - 1) < 1e-9 && e.mutualKNN == 1, "\(what)")
                        }
                        #expect(e.null!.p95 < 0.2, "\(what)")
                    }
                }
            }
        }
    }

    /// Analysing each version once gives what a diff of the pair alone gives.
    @Test func eachPairIsTheTwoRunDiff() throws {
        try Self.withSeries { paths in
            let readers = try paths.map { try RunReader(directory: $0) }
            let series = try SeriesDiff(readers, against: .previous, views: [.raw, View(.leace)], maps: true)
            let alone = try RunDiff(readers[2], readers[3], views: [.raw, View(.leace)])
            let pair = series.pairs[2]
            for (l, m) in zip(pair.layers, alone.layers) {
                for (e, f) in zip(l.entries, m.entries) {
                    #expect(e.cka == f.cka && e.ckaDebiased == f.ckaDebiased && e.null == f.null && e.neighbourChange == f.neighbourChange)
                }
            }
            #expect(pair.measures.rows == alone.measures.rows)
            #expect(pair.maps.map(\.cka.storage) == alone.maps.map(\.cka.storage))
        }
    }

    /// Three or more versions need the same layers; the error names the run and the field.
    @Test func refusesASeriesOfDifferentLayers() throws {
        let synthetic = try RunReader(directory: Fixtures.run("synthetic").path)
        try TemporaryFolder.with { dir in
            for file in ["run.json", "activations.safetensors", "activations.zero_pe.safetensors"] {
                try FileManager.default.copyItem(at: Fixtures.run("synthetic").appendingPathComponent(file), to: dir.appendingPathComponent(file))
            }
            let manifest = dir.appendingPathComponent("run.json")
            var json = try JSONSerialization.jsonObject(with: Data(contentsOf: manifest)) as! [String: Any]
            json["layers"] = [0, 5, 10]
            try JSONSerialization.data(withJSONObject: json).write(to: manifest)
            let odd = try RunReader(directory: dir.path)
            #expect(throws: InputError.self) { try SeriesDiff([synthetic, synthetic, odd], views: [.raw]) }
            do {
                _ = try SeriesDiff([synthetic, synthetic, odd], views: [.raw])
            } catch let error as InputError {
                #expect(error.description.contains("run.json") && error.description.contains("layers"))
            }
            // Two runs still pair their layers by index.
            #expect(try SeriesDiff([synthetic, odd], views: [.raw], maps: false).pairs.count == 1)
        }
    }
}
