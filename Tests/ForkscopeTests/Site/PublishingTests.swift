import Foundation
import Testing
import ForkscopeTestSupport
@testable import Forkscope

/// Sources/Forkscope/Site/Publishing.swift: the 404 page, the sitemap and `--base-url`.
struct PublishingTests {
    typealias Kit = SiteTestKit

    @Test func aBuildWithABaseURLHasASitemapOfEveryPageAndAnAbsolute404() throws {
        try TemporaryFolder.with { tmp in
            let site = tmp.appendingPathComponent("site")
            var options = BuildOptions(run: Fixtures.treeF32, out: site.path)
            options.baseURL = "https://example.org/reports/tree"
            options.analysis.projections = [.pca]
            _ = try Build.run(options)
            let pages = try Kit.htmlPages(site).filter { $0 != "404.html" }
            let sitemap = try Kit.text(site.appendingPathComponent("sitemap.xml"))
            #expect(Kit.xmlError(sitemap) == nil)
            let locations = Kit.count("<loc>", in: sitemap)
            #expect(locations == pages.count && locations > 3)
            for page in pages { #expect(sitemap.contains("<loc>https://example.org/reports/tree/\(page)</loc>"), "\(page)") }
            #expect(!sitemap.contains("lastmod"))
            let notFound = try Kit.text(site.appendingPathComponent("404.html"))
            #expect(notFound.contains("href=\"https://example.org/reports/tree/index.html\""))
            #expect(notFound.contains("href=\"https://example.org/reports/tree/style.css\""))
        }
    }

    @Test func withoutABaseURLThe404StartsFromTheHostRootAndThereIsNoSitemap() throws {
        try TemporaryFolder.with { tmp in
            let site = tmp.appendingPathComponent("site")
            var options = BuildOptions(run: Fixtures.treeF32, out: site.path)
            options.analysis.projections = [.pca]
            _ = try Build.run(options)
            #expect(!FileManager.default.fileExists(atPath: site.appendingPathComponent("sitemap.xml").path))
            let notFound = try Kit.text(site.appendingPathComponent("404.html"))
            #expect(notFound.contains("href=\"/index.html\"") && notFound.contains("Page not found"))
        }
    }

    @Test func sourceDateEpochDatesTheSitemapAndPathsArePercentEncoded() throws {
        let publishing = try Publishing(baseURL: "http://host/reports", environment: ["SOURCE_DATE_EPOCH": "1700000000"])
        #expect(publishing.baseURL == "http://host/reports/")
        let files = publishing.adding(to: [SiteFile(path: "index.html", text: ""), SiteFile(path: "branches/_1/0.html", text: ""),
                                           SiteFile(path: "odd name#?.html", text: ""), SiteFile(path: "style.css", text: "")],
                                      theme: .default, siteTitle: "<t>", dataFile: "report.json")
        #expect(files.map(\.path) == ["index.html", "branches/_1/0.html", "odd name#?.html", "style.css", "404.html", "sitemap.xml"])
        let sitemap = String(decoding: files.last!.contents, as: UTF8.self)
        #expect(sitemap.contains("<url><loc>http://host/reports/branches/_1/0.html</loc><lastmod>2023-11-14</lastmod></url>"))
        #expect(sitemap.contains("<loc>http://host/reports/odd%20name%23%3F.html</loc>"))
        #expect(!sitemap.contains("style.css"))
        #expect(String(decoding: files[4].contents, as: UTF8.self).contains("&lt;t&gt;"))
    }

    @Test func malformedAddressesAndEpochsAreRefusedInOneLine() {
        for bad in ["example.org/reports", "ftp://example.org/", "https://", "https://example.org/?q=1", "https://example.org/#x",
                    "https://example.org/\"><script>", "https://example.org/a b/"] {
            #expect(throws: SettingError.baseURL(bad), "\(bad)") { try Publishing(baseURL: bad, environment: [:]) }
        }
        #expect { try Publishing(baseURL: nil, environment: ["SOURCE_DATE_EPOCH": "yesterday"]) } throws: { error in
            let text = (error as? InputError)?.description ?? ""
            return text.hasPrefix("SOURCE_DATE_EPOCH") && !text.contains("\n")
        }
    }
}
