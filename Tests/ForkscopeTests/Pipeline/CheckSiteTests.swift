import Foundation
import Testing
import ForkscopeTestSupport
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
        "Tests/Fixtures/runs/synthetic",
    ]

    @Test("the NumPy checker passes every layer", arguments: runs)
    func checkSite(run: String) throws {
        try Kit.requireNumPy()
        let runPath = Fixtures.packageRoot.appendingPathComponent(run).path
        let layers = try Kit.runInfo(runPath).layers.count
        try Kit.withBuiltSite(run: runPath) { site, _ in
            let (status, output) = try Kit.python([Fixtures.checkSite, runPath, site.path])
            #expect(status == 0, "check_site.py exited \(status):\n\(output)")
            let last = output.split(separator: "\n").last.map(String.init) ?? ""
            #expect(last == "\(layers) passed, 0 failed", "\(output)")
        }
    }

    /// Tampered report.json values the checker must catch: a count, a measure off by 1e-3 (the
    /// tolerance is 1e-6), a massive token dropped (tree-f32's layer 4 has them).
    @Test("the checker can fail: a tampered report.json is caught", arguments: ["tokens", "measure", "massive"])
    func checkerCatchesTampering(what: String) throws {
        try Kit.requireNumPy()
        try Kit.withBuiltSite(run: Fixtures.treeF32) { site, _ in
            let url = site.appendingPathComponent("report.json")
            var report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
            var layers = try #require(report["layers"] as? [[String: Any]])
            switch what {
            case "tokens":
                var views = try #require(layers[0]["views"] as? [String: Any])
                var raw = try #require(views["raw"] as? [String: Any])
                raw["tokens"] = 999
                views["raw"] = raw
                layers[0]["views"] = views
            case "measure":
                var views = try #require(layers[0]["views"] as? [String: Any])
                var regress = try #require(views["regress"] as? [String: Any])
                regress["position_probe"] = try #require(regress["position_probe"] as? Double) + 1e-3
                views["regress"] = regress
                layers[0]["views"] = views
            default:
                let last = layers.count - 1
                let massive = try #require(layers[last]["massive"] as? [Any])
                try #require(!massive.isEmpty, "tree-f32's last layer has no massive token to drop")
                layers[last]["massive"] = Array(massive.dropFirst())
            }
            report["layers"] = layers
            try JSONSerialization.data(withJSONObject: report).write(to: url)
            let (status, output) = try Kit.python([Fixtures.checkSite, Fixtures.treeF32, site.path])
            #expect(status == 1, "check_site.py accepted a tampered \(what) (exit \(status)):\n\(output)")
        }
    }

    @Test("the NumPy checker passes degenerate runs (nothing supported, one token, identical states)",
          arguments: SiteTestKit.degenerateRuns)
    func checkDegenerateRun(name: String) throws {
        try Kit.requireNumPy()
        try TemporaryFolder.with { tmp in
            let run = tmp.appendingPathComponent(name)
            try Kit.writeDegenerateRun(name, at: run)
            let site = tmp.appendingPathComponent("site")
            _ = try Build.run(BuildOptions(run: run.path, out: site.path))
            let (status, output) = try Kit.python([Fixtures.checkSite, run.path, site.path])
            #expect(status == 0, "check_site.py exited \(status):\n\(output)")
        }
    }
    /// Root groups from `group` fields (a string, or a number taken as its text) change the
    /// content measures and the probe's folds: builds and the reference must agree on them.
    @Test("the NumPy checker passes a run whose branches carry string and number groups")
    func checkGroups() throws {
        try Kit.requireNumPy()
        try TemporaryFolder.with { tmp in
            let run = tmp.appendingPathComponent("grouped")
            try FileManager.default.copyItem(at: URL(fileURLWithPath: Fixtures.treeF32), to: run)
            let url = run.appendingPathComponent("run.json")
            var json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
            var branches = try #require(json["branches"] as? [[String: Any]])
            // r1.a and r2 share the group "7" (a number and a string); r1.b is "topic"; the rest fall back to their roots.
            for i in branches.indices {
                switch branches[i]["id"] as? String {
                case "r1.a": branches[i]["group"] = 7
                case "r2": branches[i]["group"] = "7"
                case "r1.b": branches[i]["group"] = "topic"
                default: break
                }
            }
            json["branches"] = branches
            try JSONSerialization.data(withJSONObject: json).write(to: url)
            let site = tmp.appendingPathComponent("site")
            let result = try Build.run(BuildOptions(run: run.path, out: site.path))
            #expect(result.warnings.isEmpty, "\(result.warnings)")
            let (status, output) = try Kit.python([Fixtures.checkSite, run.path, site.path])
            #expect(status == 0, "check_site.py exited \(status):\n\(output)")
        }
    }
}
