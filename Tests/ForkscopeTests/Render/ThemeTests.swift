import Foundation
import Testing
import ForkscopeTestSupport
@testable import Forkscope

@Suite("Theme")
struct ThemeTests {
    typealias Kit = SiteTestKit

    @Test("the embedded default theme equals Templates/ byte for byte (run `make theme` after editing Templates/)")
    func embeddedThemeMatchesTemplates() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Fixtures.templates.path)
            .filter { $0.hasSuffix(".mustache") || $0.hasSuffix(".css") || $0.hasSuffix(".js") }.sorted()
        #expect(names.count == 13)
        #expect(Set(DefaultTheme.files.keys) == Set(names), "embedded: \(DefaultTheme.files.keys.sorted()) vs Templates/: \(names)")
        for name in names {
            let onDisk = try Data(contentsOf: Fixtures.templates.appendingPathComponent(name))
            let embedded = Data((DefaultTheme.files[name] ?? "").utf8)
            #expect(onDisk == embedded, "\(name) differs from the embedded copy: run `make theme`")
        }
    }

    @Test("the default theme has every page template and the stylesheet")
    func defaultThemeComplete() {
        for name in Theme.pageTemplates { #expect(DefaultTheme.files[name + ".mustache"] != nil) }
        #expect(Theme.default.stylesheet == DefaultTheme.files["style.css"])
        #expect(!Theme.default.stylesheet.isEmpty)
    }

    @Test("an override folder replaces the files it has and keeps the rest")
    func overrideReplacesOneFile() throws {
        try TemporaryFolder.with { tmp in
            let theme = tmp.appendingPathComponent("theme")
            try FileManager.default.createDirectory(at: theme, withIntermediateDirectories: true)
            let footer = "<footer class=\"custom\">CUSTOM-FOOTER-7f3a</footer>\n</body>\n</html>\n"
            try footer.write(to: theme.appendingPathComponent("footer.mustache"), atomically: true, encoding: .utf8)
            let css = "body { color: #123456; } /* custom */\n"
            try css.write(to: theme.appendingPathComponent("style.css"), atomically: true, encoding: .utf8)
            let script = "/* custom explorer */\n"
            try script.write(to: theme.appendingPathComponent("explore.js"), atomically: true, encoding: .utf8)
            // A file the theme does not know is ignored.
            try "{{#broken".write(to: theme.appendingPathComponent("extra.mustache"), atomically: true, encoding: .utf8)

            let site = tmp.appendingPathComponent("site")
            _ = try Build.run(BuildOptions(run: Fixtures.treeF32, out: site.path, templates: theme.path))
            #expect(try Data(contentsOf: site.appendingPathComponent("style.css")) == Data(css.utf8))
            #expect(try Data(contentsOf: site.appendingPathComponent("explore.js")) == Data(script.utf8))
            for page in try Kit.htmlPages(site) {
                let html = try Kit.text(site.appendingPathComponent(page))
                #expect(html.contains("CUSTOM-FOOTER-7f3a"), "\(page) lacks the custom footer")
                #expect(!html.contains("<footer class=\"site\">"), "\(page) still has the default footer")
                // Kept from the default theme: the header and the page bodies.
                #expect(html.hasPrefix("<!doctype html>"), "\(page) lost the default header")
                #expect(html.contains("<header class=\"site\">"), "\(page) lost the default header")
            }
            let layer = try Kit.text(site.appendingPathComponent("layers/0.html"))
            #expect(layer.contains("<div class=\"figs\">"), "layer page template not the default one")
        }
    }

    @Test("Theme(overridesIn:) without a folder is the default theme")
    func nilFolderIsDefault() throws {
        let theme = try Theme(overridesIn: nil)
        #expect(theme.stylesheet == Theme.default.stylesheet)
        let context: [String: Any] = ["root": "", "pageTitle": "T", "runTitle": "R", "modelName": "M", "generator": "g"]
        #expect(theme.render("footer", context) == Theme.default.render("footer", context))
        #expect(theme.render("footer", context).contains("Built by g"))
    }

    @Test("an invalid Mustache template is an InputError naming the file", arguments: [
        "layer.mustache", "header.mustache", "index.mustache",
    ])
    func invalidTemplate(name: String) throws {
        try TemporaryFolder.with { tmp in
            let theme = tmp.appendingPathComponent("theme")
            try FileManager.default.createDirectory(at: theme, withIntermediateDirectories: true)
            try "<h1>{{#plots}} never closed\n".write(to: theme.appendingPathComponent(name), atomically: true, encoding: .utf8)
            let error = try #require(throws: InputError.self) { try Theme(overridesIn: theme.path) }
            #expect(error.file == theme.appendingPathComponent(name).path)
            #expect(error.description.contains(name))

            // Through a build: fails before writing anything.
            let site = tmp.appendingPathComponent("site")
            let buildError = try #require(throws: InputError.self) {
                try Build.run(BuildOptions(run: Fixtures.treeF32, out: site.path, templates: theme.path))
            }
            #expect(buildError.description.contains(name))
            #expect(!FileManager.default.fileExists(atPath: site.path))
        }
    }

    @Test("a templates folder that does not exist is an InputError naming it")
    func missingFolder() throws {
        let path = "/nonexistent-\(UUID().uuidString)/theme"
        let error = try #require(throws: InputError.self) { try Theme(overridesIn: path) }
        #expect(error.file == path)
    }

    @Test("a template that is not UTF-8 is an InputError naming the file")
    func notUTF8() throws {
        try TemporaryFolder.with { tmp in
            try Data([0x3C, 0x68, 0x31, 0xFF, 0xFE, 0x3E]).write(to: tmp.appendingPathComponent("branch.mustache"))
            let error = try #require(throws: InputError.self) { try Theme(overridesIn: tmp.path) }
            #expect(error.file.hasSuffix("branch.mustache"))
        }
    }
}
