import Testing
@testable import Forkscope

struct FailConditionTests {
    @Test func parsesEveryForm() throws {
        let cka = try #require(FailCondition("cka<0.9"))
        #expect(cka.subject == .similarity(.cka, view: nil) && cka.comparison == .below && cka.threshold == 0.9)
        let view = try #require(FailCondition(" cka.position_mean <= 0.8 "))
        #expect(view.subject == .similarity(.cka, view: "position_mean") && view.comparison == .atMost && view.description == "cka.position_mean<=0.8")
        let debiased = try #require(FailCondition("cka_debiased.raw<0.5"))
        #expect(debiased.subject == .similarity(.ckaDebiased, view: "raw") && debiased.description == "cka_debiased.raw<0.5")
        for m in SimilarityMeasure.allCases { #expect(FailCondition("\(m.rawValue)>=0.1")?.subject == .similarity(m, view: nil)) }
        let measure = try #require(FailCondition("position_probe>0.2"))
        #expect(measure.subject == .measure("position_probe", delta: false) && measure.comparison == .above)
        let delta = try #require(FailCondition("delta.trustworthiness>=-0.05"))
        #expect(delta.subject == .measure("trustworthiness", delta: true) && delta.comparison == .atLeast && delta.threshold == -0.05)
    }

    @Test(arguments: ["", "cka", "cka<", "<0.9", "cka<abc", "cka=0.9", "cka<nan", "cka.<1", "delta.<1", "a.b<1", "x y<1", "cka<inf"])
    func rejects(_ text: String) {
        #expect(FailCondition(text) == nil)
    }

    @Test func comparesAsWritten() throws {
        let below = try #require(FailCondition("cka<0.9")), atMost = try #require(FailCondition("cka<=0.9"))
        #expect(below.holds(0.89) && !below.holds(0.9) && atMost.holds(0.9) && !atMost.holds(0.91))
        let above = try #require(FailCondition("x>1")), atLeast = try #require(FailCondition("x>=1"))
        #expect(above.holds(1.5) && !above.holds(1) && atLeast.holds(1) && !atLeast.holds(0.5))
    }
}
