import Foundation
import ForkscopeNumerics

/// The diff pipeline: read both inputs -> compare (`RunDiff`, or `MeasureDiff` of two reports)
/// -> render (`DiffRenderer`) -> write the site atomically (`SiteWriter`). Theme and commentary
/// are read before anything is computed, so bad input fails fast.
public enum DiffBuild {
    public struct Result: Sendable {
        /// The comparison of two runs (the first pair of a series); nil for two reports.
        public let runs: RunDiff?
        /// Three or more runs.
        public let series: SeriesDiff?
        public let measures: MeasureDiff
        public let files: Int
        public let warnings: [Warning]
    }

    /// Whether `path` is a run (a folder holding run.json) rather than a built report.
    public static func isRun(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent("run.json"))
    }

    /// - Parameter check: shown the comparison before anything is written; what it throws stops the build.
    public static func run(_ options: DiffOptions, check: (RunDiff?, MeasureDiff) throws -> Void = { _, _ in }) throws -> Result {
        if !options.later.isEmpty { return try series(options, check: check) }
        guard isRun(options.a) == isRun(options.b) else {
            throw InputError(file: options.b, "give two runs or two built reports, not one of each (\(options.a) is \(isRun(options.a) ? "a run" : "a report"))")
        }
        var warnings = [Warning]()
        let theme = try options.out.map { _ in try Theme(overridesIn: options.templates) }
        let publishing = try Publishing(baseURL: options.baseURL)
        let runs: RunDiff?, measures: MeasureDiff, renderer: DiffRenderer?
        if isRun(options.a) {
            let a = try RunReader(directory: options.a), b = try RunReader(directory: options.b)
            warnings += a.warnings + b.warnings
            let commentary = try loadCommentary(options.content, layers: a.run.layers, warnings: &warnings)
            let diff = try RunDiff(a, b, views: options.views, settings: options.settings, massiveRatio: options.massiveRatio,
                                   keepMassive: options.keepMassive, maps: options.out != nil, threads: options.threads)
            runs = diff
            measures = diff.measures
            renderer = theme.map { DiffRenderer(diff: diff, commentary: commentary, theme: $0, warnings: warnings) }
        } else {
            let a = try Report.read(at: options.a), b = try Report.read(at: options.b)
            let commentary = try loadCommentary(options.content, layers: a.layers.map(\.layer), warnings: &warnings)
            runs = nil
            measures = MeasureDiff(a.layers, b.layers)
            renderer = theme.map { DiffRenderer(reports: a, b, commentary: commentary, theme: $0, warnings: warnings) }
        }
        try check(runs, measures)
        var count = 0
        if let renderer, let out = options.out {
            let files = publishing.adding(to: try renderer.files(), theme: renderer.theme,
                                          siteTitle: "\(renderer.titles.a) ⇄ \(renderer.titles.b)", dataFile: DiffRenderer.dataFile)
            try SiteWriter.write(files, to: out, force: options.force)
            count = files.count
        }
        return Result(runs: runs, series: nil, measures: measures, files: count, warnings: warnings)
    }

    /// Three or more runs: `check` sees every pair.
    private static func series(_ options: DiffOptions, check: (RunDiff?, MeasureDiff) throws -> Void) throws -> Result {
        if let report = options.versions.first(where: { !isRun($0) }) {
            throw InputError(file: report, "not a run (no run.json): a diff of more than two versions compares runs")
        }
        var warnings = [Warning]()
        let theme = try options.out.map { _ in try Theme(overridesIn: options.templates) }
        let publishing = try Publishing(baseURL: options.baseURL)
        let readers = try options.versions.map { try RunReader(directory: $0) }
        warnings += readers.flatMap(\.warnings)
        let commentary = try loadCommentary(options.content, layers: readers[0].run.layers, warnings: &warnings)
        let series = try SeriesDiff(readers, labels: options.labels, against: options.against, views: options.views, settings: options.settings,
                                    massiveRatio: options.massiveRatio, keepMassive: options.keepMassive, maps: options.out != nil,
                                    threads: options.threads)
        for pair in series.pairs { try check(pair, pair.measures) }
        var count = 0
        if let theme, let out = options.out {
            let renderer = SeriesRenderer(series: series, commentary: commentary, theme: theme, warnings: warnings)
            let files = publishing.adding(to: try renderer.files(), theme: theme, siteTitle: renderer.title, dataFile: DiffRenderer.dataFile)
            try SiteWriter.write(files, to: out, force: options.force)
            count = files.count
        }
        return Result(runs: series.pairs[0], series: series, measures: series.pairs[0].measures, files: count, warnings: warnings)
    }

    private static func loadCommentary(_ content: String?, layers: [Int], warnings: inout [Warning]) throws -> Commentary {
        guard let content else { return Commentary() }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: content, isDirectory: &isDir), isDir.boolValue else {
            throw InputError(file: content, "content folder not found")
        }
        let (commentary, found) = try ContentFolder.load(content, layers: layers, branches: [])
        warnings += found
        return commentary
    }
}
