import Foundation
import Testing
@testable import Forkscope

/// Built sites checked by the independent NumPy reference (Tests/Fixtures/check_site.py).
/// Needs python3 with numpy: without them these tests fail (they never skip), since CI installs numpy.
@Suite("check_site.py on built sites")
struct CheckSiteTests {
    typealias Kit = SiteTestKit

    static let runs = [
        "Examples/topics-mini",
        "Tests/Fixtures/runs/tree-f32",
        "Tests/Fixtures/runs/tree-f16",
        "Tests/Fixtures/runs/tree-bf16",
        "Tests/Fixtures/runs/hidden-gt-tokens",
    ]

    @Test("the NumPy checker passes every layer", arguments: runs)
    func checkSite(run: String) throws {
        try Kit.requireNumPy()
        let runPath = Kit.repoRoot.appendingPathComponent(run).path
        let layers = try Kit.runInfo(runPath).layers.count
        try Kit.withBuiltSite(run: runPath) { site, _ in
            let (status, output) = try Kit.python([Kit.checkSite, runPath, site.path])
            #expect(status == 0, "check_site.py exited \(status):\n\(output)")
            let last = output.split(separator: "\n").last.map(String.init) ?? ""
            #expect(last == "\(layers) passed, 0 failed", "\(output)")
        }
    }

    @Test("the checker can fail: a tampered report.json is caught")
    func checkerCatchesTampering() throws {
        try Kit.requireNumPy()
        try Kit.withBuiltSite(run: Kit.treeF32) { site, _ in
            let url = site.appendingPathComponent("report.json")
            var report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
            var layers = try #require(report["layers"] as? [[String: Any]])
            var views = try #require(layers[0]["views"] as? [String: Any])
            var raw = try #require(views["raw"] as? [String: Any])
            raw["tokens"] = 999
            views["raw"] = raw
            layers[0]["views"] = views
            report["layers"] = layers
            try JSONSerialization.data(withJSONObject: report).write(to: url)
            let (status, output) = try Kit.python([Kit.checkSite, Kit.treeF32, site.path])
            #expect(status != 0, "check_site.py accepted a wrong token count:\n\(output)")
        }
    }
    @Test("the NumPy checker passes degenerate runs (nothing supported, one token, identical states)",
          arguments: SiteTestKit.degenerateRuns)
    func checkDegenerateRun(name: String) throws {
        try Kit.requireNumPy()
        try Kit.withTempFolder { tmp in
            let run = tmp.appendingPathComponent(name)
            try Kit.writeDegenerateRun(name, at: run)
            let site = tmp.appendingPathComponent("site")
            _ = try Build.run(BuildOptions(run: run.path, out: site.path))
            let (status, output) = try Kit.python([Kit.checkSite, run.path, site.path])
            #expect(status == 0, "check_site.py exited \(status):\n\(output)")
        }
    }
}
