/// What every page's header and footer show (`header.mustache`, `footer.mustache`).
struct PageFrame: Sendable {
    /// The way from the page back to the site's root ("", "../", "../../").
    var root: String
    var pageTitle: String
    var runTitle: String
    var modelName: String
    var modelVersion: String?
    var generator = "forkscope \(Forkscope.version)"
    /// The site's data file, linked from the footer: report.json or diff.json.
    var dataFile: String
    /// The branch highlight stylesheet, on pages with a branch legend.
    var highlightCSS: String?
}
