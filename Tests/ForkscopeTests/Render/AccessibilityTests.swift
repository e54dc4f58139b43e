import Foundation
import Testing
import ForkscopeNumerics
import ForkscopeTestSupport
@testable import Forkscope

/// What a reader who cannot see the plots, or prints the pages, or reads in the dark, gets.
struct AccessibilityTests {
    typealias Kit = SiteTestKit

    /// Every drawn SVG is an image with a name (`<title>`) and a description in words (`<desc>`)
    /// that gives its size in tokens and its ranges; hidden ones (shape definitions) are aria-hidden.
    @Test func everyPlotHasATitleAndADescription() throws {
        try Kit.withBuiltSite(run: Fixtures.treeF32) { site, _ in
            var described = 0
            for page in try Kit.htmlPages(site) {
                let html = try Kit.text(site.appendingPathComponent(page))
                for svg in Kit.svgFragments(html) {
                    if svg.hasPrefix("<svg class=\"defs\"") || svg.contains("aria-hidden=\"true\"") { continue }
                    if svg.contains("class=\"swatch\"") { continue }  // a legend's marker beside its label
                    #expect(svg.contains("role=\"img\""), "\(page)")
                    let head = String(svg.prefix(while: { $0 != "\n" })) + (svg.split(separator: "\n").dropFirst().first.map(String.init) ?? "")
                    let title = Kit.between(head, "<title>", "</title>"), desc = Kit.between(head, "<desc>", "</desc>")
                    #expect(!(title ?? "").isEmpty && !(desc ?? "").isEmpty, "\(page): \(svg.prefix(160))")
                    if svg.contains("class=\"scatter"), desc?.hasPrefix("No points") != true {
                        #expect(desc?.contains(" tokens in ") == true && desc?.contains(" from ") == true, "\(page): \(desc ?? "")")
                    }
                    described += 1
                }
            }
            #expect(described > 20)
        }
    }

    @Test func eachPlotLinksItsNumbersAndTheThemeFollowsDarkModeAndPrint() throws {
        try Kit.withBuiltSite(run: Fixtures.treeF32) { site, _ in
            let layer = try Kit.text(site.appendingPathComponent("layers/2.html"))
            let figures = layer.components(separatedBy: "<figure class=\"plot\">").dropFirst()
            #expect(!figures.isEmpty)
            for figure in figures { #expect(figure.contains("<p class=\"caption tables\">As numbers: every token's coordinates in <a href=\"../layers/2.csv\">")) }
            let css = try Kit.text(site.appendingPathComponent("style.css"))
            #expect(css.contains("@media (prefers-color-scheme: dark)") && css.contains("@media print"))
        }
    }

    @Test func aMapAndAChartDescribeThemselves() {
        var values = Matrix(rows: 2, cols: 3, repeating: 0.5)
        values[1, 2] = 0.25
        let map = HeatMap(title: "t", rowLabels: ["0", "1"], columnLabels: ["0", "1", "2"], values: values, outlined: [[0, 0], [1, 2]])
        #expect(map.description == "2 rows (layer of A) by 3 columns (layer of B), values from 0.250 to 0.500; outlined, the layers compared side by side: 0–0 0.500, 1–2 0.250.")
        let chart = LineChart(title: "CKA", xLabels: ["0", "4"], series: [.init(label: "Raw", color: "#000", values: [1, 0.5])])
        #expect(chart.description == "CKA against layer, a line per view: Raw from 0.500 (layer 4) to 1.000 (layer 0).")
    }
}
