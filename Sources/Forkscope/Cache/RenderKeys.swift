/// The render cache's keys: what decides a site file's bytes once the analyses are known.
///
/// Every file depends on the site as a whole (the build of Forkscope, the analyses' keys, the
/// warnings report.json lists, the theme, the publishing settings; the run's text and title come
/// with the analyses' keys, which hash the run), and a page also on the commentary it shows
/// (`PlannedFile.commentary`). Editing `layers/15.md` thus changes one key, layer 15's page's.
public struct RenderKeys: Sendable {
    public let site: String

    public init(build: String, analyses: [String], warnings: [Warning], theme: Theme, publishing: Publishing) {
        site = Digest.hex(fields: ["forkscope.render/1", build, theme.digest, publishing.baseURL ?? "-",
                                   publishing.lastModified.map { "\($0.timeIntervalSince1970)" } ?? "-"]
                          + analyses + warnings.map(\.description))
    }

    public func key(_ file: PlannedFile) -> String {
        Digest.hex(fields: [site, file.path, file.commentary.map { "commentary:" + $0 } ?? "no commentary"])
    }
}
