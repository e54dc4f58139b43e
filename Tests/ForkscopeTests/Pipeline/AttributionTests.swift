import Foundation
import Testing
import ForkscopeTestSupport
@testable import Forkscope

/// Issue 18's planted runs: position in a code no linear eraser can remove, rogue dimensions, and
/// the attribution ladder and recommended view of a default build.
@Suite("End to end: attributing the sameness")
struct AttributionTests {
    typealias Kit = SiteTestKit

    static func report(_ site: URL) throws -> Report { try Report.read(at: site.path) }

    /// Four roots of 40 tokens. Dimensions 0-3 hold a half-turn and a full turn of a helix of
    /// position, times a sign that alternates with branch and position, so that at every position
    /// two roots have + and two −: the per-position mean is exactly 0 and no linear function of the
    /// states predicts position, but a token's nearest neighbours are at nearby positions. The
    /// other dimensions are small noise (few of them by default, so that z-scoring, which gives
    /// each the helix's scale, leaves the helix most of the distance), plus `offsets` added to
    /// every token.
    static func writeHelixRun(at dir: URL, hidden: Int = 6, offsets: [Int: Float] = [:]) throws {
        let roots = (0..<4).map { r in
            Kit.SynthBranch(id: "r\(r)", label: "root \(r)", tokens: (0..<40).map { "t\(r).\($0)" }, positions: Array(0..<40))
        }
        try Kit.writeRun(at: dir, branches: roots, layers: [0, 1, 2], hidden: hidden, values: { branch, p, k in
            let b = Int(branch.dropFirst())!
            let sign: Float = (b + p) % 2 == 0 ? 1 : -1
            let turn = Float.pi * Float(p) / 40
            var hash = UInt64(b * 1000 + p * 16 + k) &* 0x9E37_79B9_7F4A_7C15
            hash ^= hash >> 29
            let noise = Float(hash % 1000) / 1000 - 0.5
            let helix: [Float] = [cos(turn), sin(turn), cos(2 * turn), sin(2 * turn)]
            return (k < 4 ? 5 * sign * helix[k] : 0.3 * noise) + (offsets[k] ?? 0)
        })
    }

    @Test("position in a sign-flipped helix: every linear eraser's probe is near chance, the kNN probe reads it, the control does not, and the verdict says so")
    func nonlinearPosition() throws {
        try TemporaryFolder.with { tmp in
            let run = tmp.appendingPathComponent("helix")
            try Self.writeHelixRun(at: run)
            try Kit.withBuiltSite(run: run.path) { site, _ in
                let report = try Self.report(site)
                for layer in report.layers {
                    for name in ["position_mean", "position_mean+z", "leace+z"] {
                        let v = try #require(layer.views[name], "layer \(layer.layer): \(name)").measures
                        let probe = try #require(v[.positionProbe]), knn = try #require(v[.positionKnnR2])
                        let control = try #require(v[.positionKnnR2Control])
                        #expect(probe <= 0.2, "\(name) layer \(layer.layer): linear probe \(probe)")
                        #expect(knn >= 0.8, "\(name) layer \(layer.layer): kNN R² \(knn)")
                        #expect(control <= 0.2, "\(name) layer \(layer.layer): control \(control)")
                        #expect(abs(try #require(v[.positionKnnSelectivity]) - (knn - control)) < 1e-12)
                    }
                }
                #expect(report.verdict.contains("a nonlinear reader still finds position"), "\(report.verdict)")
            }
        }
    }

    @Test("planted rogue dimensions are named in report.json, on the layer pages and in the verdict")
    func rogueDimensions() throws {
        try TemporaryFolder.with { tmp in
            let run = tmp.appendingPathComponent("rogue")
            try Self.writeHelixRun(at: run, hidden: 16, offsets: [11: 40, 6: 36, 13: 20])
            try Kit.withBuiltSite(run: run.path) { site, _ in
                let report = try Self.report(site)
                for layer in report.layers {
                    #expect((layer.rogue_dimensions ?? []).map(\.dimension) == [11, 6], "layer \(layer.layer): \(layer.rogue_dimensions)")
                    let shares = (layer.rogue_dimensions ?? []).map(\.share)
                    #expect(shares.reduce(0, +) >= 0.5 && shares[0] < 0.5 && shares[0] >= shares[1], "\(shares)")
                    #expect((layer.mean_cosine ?? 0) > 0.5)
                    let html = try Kit.text(site.appendingPathComponent("layers/\(layer.layer).html"))
                    let section = try #require(Kit.between(html, "<section class=\"rogue\">", "</section>"))
                    #expect(section.contains("Dimensions 11 (") && section.contains(" and 6 ("), "\(section)")
                }
                #expect(report.verdict.contains("most often dimensions 6 and 11") || report.verdict.contains("most often dimensions 11 and 6"), "\(report.verdict)")
            }
        }
    }

    @Test("the planted synthetic run: the ladder climbs raw -> raw+z -> a z-scored eraser, its numbers are the views' own, and the pages show it")
    func ladder() throws {
        let run = try SyntheticRunTests.requireRun()
        try Kit.withBuiltSite(run: run) { site, _ in
            let report = try Self.report(site)
            let recommended = try #require(report.recommended_view)
            #expect(report.settings.views.contains(recommended) && !recommended.hasPrefix("raw"))
            #expect(report.verdict.contains("Recommended view:") && report.verdict.contains("(\(recommended))"))
            for layer in report.layers {
                let ladder = try #require(layer.attribution)
                #expect(ladder.content_measure == "root_knn_purity")
                #expect(ladder.rungs.map(\.step) == ["raw", "rogue_dimensions", "position"])
                #expect(Array(ladder.rungs.map(\.view).prefix(2)) == ["raw", "raw+z"])
                #expect(["position_mean+z", "regress+z", "leace+z"].contains(ladder.rungs[2].view))
                for rung in ladder.rungs {
                    let v = try #require(layer.views[rung.view]).measures
                    #expect(rung.content == v[.rootKnnPurity] && rung.position_probe == v[.positionProbe]
                            && rung.position_knn_r2 == v[.positionKnnR2] && rung.position_knn_r2_control == v[.positionKnnR2Control])
                }
                let page = try Kit.text(site.appendingPathComponent("layers/\(layer.layer).html"))
                let pair = try #require(Kit.between(page, "<section class=\"position-pair\">", "</section>"))
                #expect(Kit.count("<figure class=\"position-view\">", in: pair) == 2)
                #expect(Kit.count("<svg ", in: pair) == 4, "raw and recommended, PCA and UMAP each")
                #expect(pair.contains("<code>\(Kit.escape(recommended))</code> (recommended)"))
            }
            let index = try Kit.text(site.appendingPathComponent("index.html"))
            let table = try #require(Kit.between(index, "<table class=\"ladder\">", "</table>"))
            #expect(Kit.count("<tr><th><a href=", in: table) == report.layers.count)
            #expect(index.contains("<h2>Why do the branches look alike?</h2>"))
        }
    }
}
