import Foundation
import Testing
@testable import Forkscope

/// `forkscope.timings/1` as the benchmark reads it.
struct StageTimingsTests {
    @Test func everyCallIsListedAndSumsToTheStage() throws {
        let timings = StageTimings()
        for pause in [0.002, 0.004, 0.001] { timings.measure(.read) { Thread.sleep(forTimeInterval: pause) } }
        timings.measure(.pca) {}
        let object = try #require(try JSONSerialization.jsonObject(with: timings.json(threads: 2)) as? [String: Any])
        #expect(object["format"] as? String == "forkscope.timings/1")
        let stages = try #require(object["stages"] as? [[String: Any]])
        #expect(stages.compactMap { $0["name"] as? String } == ["read", "pca"])   // pipeline order, only stages run
        let read = stages[0]
        let calls = try #require(read["call_wall_seconds"] as? [Double])
        #expect(read["calls"] as? Int == 3 && calls.count == 3)
        #expect(calls[0] >= 0.002 && calls[1] >= 0.004 && calls[2] >= 0.001)   // in the order calls ended
        #expect(abs(calls.reduce(0, +) - (read["wall_seconds"] as? Double ?? -1)) < 1e-12)
    }
}
