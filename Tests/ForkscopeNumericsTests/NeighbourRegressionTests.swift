import Testing
@testable import ForkscopeNumerics

/// The nonlinear position probe's parts: the neighbours under other groups (against the
/// brute-force ranking of NeighboursTests.swift), the kNN R² (against its definition summed
/// directly) and the control's seeded permutation.
@Suite("NeighbourRegression")
struct NeighbourRegressionTests {
    typealias K = NumericsKit

    @Test("neighbours under other groups are the brute-force ranking restricted to rows with another label, ties included")
    func otherGroupNeighbours() {
        let (n, k) = (140, 10)
        let x = NeighbourhoodMeasuresTests.hardRows(n, 20, seed: 11, outlier: true)
        // Three groups of uneven size, and one row alone in a fourth (its neighbours are every other group's).
        let labels = (0..<n).map { $0 == 7 ? 3 : ($0 * 7) % 3 == 0 ? 0 : $0 % 5 == 0 ? 1 : 2 }
        let queries = NeighbourhoodMeasures.queries(count: n, limit: 60)
        let pass = NeighbourhoodMeasures(input: x, layouts: [], k: k, queries: queries, otherGroup: labels)
        #expect(pass.otherGroupNeighbours.count == queries.count)
        for (q, i) in queries.enumerated() {
            let want = Array(BruteForce.ranking(x, from: i, metric: .cosine).filter { labels[$0] != labels[i] }.prefix(k))
            #expect(pass.otherGroupNeighbours[q] == want, "query \(i)")
        }
        // The plain neighbours are unchanged by asking for the others.
        #expect(pass.cosineNeighbours == NeighbourhoodMeasures(input: x, layouts: [], k: k, queries: queries).cosineNeighbours)
    }

    @Test("a group with fewer than k rows outside it: a query gets all of them; one group only: none")
    func fewOthers() {
        let x = K.gaussian(rows: 12, cols: 5, seed: 2)
        let labels = (0..<12).map { $0 < 9 ? 0 : 1 }
        let pass = NeighbourhoodMeasures(input: x, layouts: [], k: 10, queries: Array(0..<12), otherGroup: labels)
        #expect(pass.otherGroupNeighbours[0].sorted() == [9, 10, 11])
        #expect(pass.otherGroupNeighbours[10].count == 9)
        let single = NeighbourhoodMeasures(input: x, layouts: [], k: 10, queries: Array(0..<12), otherGroup: Array(repeating: 0, count: 12))
        #expect(single.otherGroupNeighbours.allSatisfy { $0.isEmpty })
        #expect(NeighbourRegression.r2(targets: (0..<12).map(Double.init), queries: Array(0..<12), neighbours: single.otherGroupNeighbours) == nil)
    }

    @Test("R² is 1 − SSE/SST of the neighbour means, summed directly; perfect neighbours give 1, constant targets nil")
    func r2() throws {
        let targets = [0.0, 1, 2, 3, 4, 5]
        let neighbours = [[1, 2], [0], [3, 4], [2], [5, 3], [4]]
        let queries = Array(0..<6)
        var sse = 0.0, sst = 0.0
        for i in queries {
            let predicted = neighbours[i].map { targets[$0] }.reduce(0, +) / Double(neighbours[i].count)
            sse += (targets[i] - predicted) * (targets[i] - predicted)
            sst += (targets[i] - 2.5) * (targets[i] - 2.5)
        }
        let got = try #require(NeighbourRegression.r2(targets: targets, queries: queries, neighbours: neighbours))
        #expect(abs(got - (1 - sse / sst)) < 1e-15)
        #expect(NeighbourRegression.r2(targets: [1, 2, 1, 2], queries: [0, 1, 2, 3], neighbours: [[2], [3], [0], [1]]) == 1)
        #expect(NeighbourRegression.r2(targets: [3, 3, 3], queries: [0, 1, 2], neighbours: [[1], [2], [0]]) == nil)
        // Over a subset of queries: SST around the queries' own mean.
        let sub = try #require(NeighbourRegression.r2(targets: [0, 10, 2, 4], queries: [0, 2], neighbours: [[2], [0]]))
        #expect(abs(sub - (1 - 8.0 / 2.0)) < 1e-15)
    }

    @Test("the control permutes within each group only, deterministically, from the documented SplitMix64 stream")
    func permutation() {
        let values = (0..<40).map(Double.init)
        let groups = (0..<40).map { [2, 0, 1][$0 % 3] }
        let once = NeighbourRegression.permuted(values, within: groups)
        #expect(once == NeighbourRegression.permuted(values, within: groups))
        #expect(once != values)
        for g in Set(groups) {
            let rows = groups.indices.filter { groups[$0] == g }
            #expect(rows.map { once[$0] }.sorted() == rows.map { values[$0] })
        }
        // The stream docs/views-and-measures.md spells out: state = mix(seed + γ); next = mix(state += γ).
        var stream = RandomStream(seed: NeighbourRegression.controlSeed)
        func mix(_ v: UInt64) -> UInt64 {
            var z = v
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        var state = mix(2019 &+ 0x9E37_79B9_7F4A_7C15)
        for _ in 0..<3 {
            state &+= 0x9E37_79B9_7F4A_7C15
            #expect(stream.next() == mix(state))
        }
        // Fisher–Yates by hand over the first group in order of first row (label 2: rows 0, 3, 6, …).
        var again = RandomStream(seed: NeighbourRegression.controlSeed)
        var first = groups.indices.filter { groups[$0] == 2 }.map { values[$0] }
        for i in stride(from: first.count - 1, to: 0, by: -1) { first.swapAt(i, again.below(i + 1)) }
        #expect(groups.indices.filter { groups[$0] == 2 }.map { once[$0] } == first)
    }
}

/// Rogue dimensions against the mean cosine similarity summed over every pair directly.
@Suite("RogueDimensions")
struct RogueDimensionsTests {
    typealias K = NumericsKit

    @Test("the contributions sum to the mean cosine similarity over distinct pairs, zero rows included")
    func identity() throws {
        var x = K.gaussian(rows: 60, cols: 12, seed: 5)
        for i in 0..<60 { x[i, 2] += 1.5 }
        for c in 0..<12 { x[17, c] = 0 }
        var sum = 0.0
        for i in 0..<60 {
            for j in 0..<60 where j != i {
                let a = K.rowArray(x, i), b = K.rowArray(x, j)
                let na = K.norm(a), nb = K.norm(b)
                sum += na > 0 && nb > 0 ? K.dot(a, b) / (na * nb) : 0
            }
        }
        let rogue = RogueDimensions(x)
        let mean = try #require(rogue.meanCosine)
        #expect(abs(mean - sum / Double(60 * 59)) < 1e-12)
        #expect(abs(rogue.contributions.reduce(0, +) - mean) < 1e-12)
        // Dimension 2's offset makes it hold most of the similarity.
        #expect(rogue.rogue.first?.dimension == 2)
    }

    @Test("planted: of three offset dimensions, the two that hold half the similarity are named with their shares; isotropic noise has none")
    func planted() throws {
        var x = K.gaussian(rows: 200, cols: 64, seed: 8)
        for i in 0..<200 { x[i, 40] += 5; x[i, 9] += 4.5; x[i, 20] += 3.5 }
        let rogue = RogueDimensions(x)
        #expect(rogue.rogue.map(\.dimension) == [40, 9])
        let shares = rogue.rogue.map(\.share)
        let mean = try #require(rogue.meanCosine)
        #expect(abs(shares[0] - rogue.contributions[40] / mean) < 1e-15)
        #expect(shares[0] < 0.5 && shares.reduce(0, +) >= 0.5)
        #expect(RogueDimensions(K.gaussian(rows: 200, cols: 64, seed: 9)).rogue.isEmpty)
        #expect(RogueDimensions(K.gaussian(rows: 1, cols: 4, seed: 1)).meanCosine == nil)
    }
}
