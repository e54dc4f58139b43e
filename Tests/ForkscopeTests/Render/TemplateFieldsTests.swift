import Testing
@testable import Forkscope

/// Sources/Forkscope/Render/Pages/TemplateFields.swift: the page parts Mustache reads through a
/// table of key paths must list every stored property (a template could name any), and read a nil
/// field as absent.
struct TemplateFieldsTests {
    static func check<T: TemplateFields>(_ value: T) {
        let stored = Set(Mirror(reflecting: value).children.compactMap(\.label))
        #expect(Set(T.fields.keys) == stored, "\(T.self)")
        for name in stored { #expect(T.fields[name] != nil, "\(T.self).\(name)") }
    }

    @Test func everyTableNamesEveryStoredProperty() {
        Self.check(LayerLink(layer: 1, href: "h", current: true))
        Self.check(LegendEntry(index: 0, label: "l", id: "i", color: "c", shape: "s", href: nil))
        Self.check(BranchPage.Row(index: 0, position: 1, token: "t", logprob: "", norm: "1", coords: [], distance: ""))
        Self.check(BranchPage.Coordinates(x: "1", y: "2"))
        Self.check(BranchPage.TextToken(text: "t", inherited: false, position: 3))
        Self.check(LayerPage.MeasureRow(label: "l", help: "h", value: "v", chance: nil, chanceName: "chance"))
        Self.check(ViewHeader(title: "t", name: "n", summary: "s", color: "c"))
    }

    @Test func fieldsReadAsValuesAndNilAsAbsent() {
        let entry = LegendEntry(index: 2, label: "l", id: "i", color: "c", shape: "s", href: nil)
        #expect(entry.child(named: "index") as? Int == 2)
        #expect(entry.child(named: "href") == nil)
        #expect(entry.child(named: "nothing") == nil)
        let linked = LegendEntry(index: 2, label: "l", id: "i", color: "c", shape: "s", href: "x.html")
        #expect(linked.child(named: "href") as? String == "x.html")
    }
}
