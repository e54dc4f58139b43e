import Foundation

/// Where a build's time and memory go, stage by stage (`forkscope build --timings FILE`).
///
/// A stage's wall and CPU seconds are summed over the threads that ran it: layers are analysed on
/// several workers at once, so the stages' wall times add up to more than the build's elapsed
/// time. CPU time is each worker thread's own (`CLOCK_THREAD_CPUTIME_ID`); a worker runs its
/// layer single-threaded whenever there are at least as many layers as threads, so nothing is
/// missed then. Peak RSS is the process's high-water mark when the stage last finished.
public final class StageTimings: @unchecked Sendable {
    public enum Stage: String, CaseIterable, Sendable {
        /// `open` is the run's manifest and tensor headers (and the inflation of a compressed
        /// `.npz`), once per build; `read` is a layer's states, once per layer. With a cache,
        /// `hash` is the run's digest and `cache` the loading and storing of its entries.
        case open, hash, cache, read, debias, pca, umap, measures, clusters, render, write
    }

    private struct Figures { var wall = 0.0, cpu = 0.0, peakRSS = 0, calls = 0, callWalls = [Double]() }
    private let lock = NSLock()
    private var figures = [Stage: Figures]()
    private let started = Date()

    public init() {}

    /// Runs `body`, adding its time to `stage`.
    public func measure<T>(_ stage: Stage, _ body: () throws -> T) rethrows -> T {
        let wall0 = Date(), cpu0 = Self.threadCPU()
        defer {
            let wall = Date().timeIntervalSince(wall0), cpu = Self.threadCPU() - cpu0, rss = Self.peakRSS()
            lock.withLock {
                var f = figures[stage, default: Figures()]
                f.wall += wall; f.cpu += cpu; f.peakRSS = max(f.peakRSS, rss); f.calls += 1; f.callWalls.append(wall)
                figures[stage] = f
            }
        }
        return try body()
    }

    /// `body`, timed under `stage` when there are timings to add to.
    public static func measure<T>(_ timings: StageTimings?, _ stage: Stage, _ body: () throws -> T) rethrows -> T {
        try timings.map { try $0.measure(stage, body) } ?? body()
    }

    /// `forkscope.timings/1`: the stages in pipeline order (each with every call's wall time, in the
    /// order calls ended), then the process's totals.
    public func json(threads: Int) -> Data {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let cpu = Self.seconds(usage.ru_utime) + Self.seconds(usage.ru_stime)
        let stages = lock.withLock {
            Stage.allCases.compactMap { stage in
                figures[stage].map { f in
                    TimingsFile.Stage(name: stage.rawValue, wall_seconds: f.wall, cpu_seconds: f.cpu, peak_rss_bytes: f.peakRSS,
                                      calls: f.calls, call_wall_seconds: f.callWalls)
                }
            }
        }
        let file = TimingsFile(threads: threads, wall_seconds: Date().timeIntervalSince(started), cpu_seconds: cpu,
                               peak_rss_bytes: Self.peakRSS(), stages: stages)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return (try? encoder.encode(file)) ?? Data()
    }

    /// `forkscope.timings/1` as written.
    private struct TimingsFile: Encodable {
        struct Stage: Encodable {
            var name: String
            var wall_seconds: Double, cpu_seconds: Double
            var peak_rss_bytes: Int
            var calls: Int
            var call_wall_seconds: [Double]
        }
        var format = "forkscope.timings/1"
        var threads: Int
        var wall_seconds: Double, cpu_seconds: Double
        var peak_rss_bytes: Int
        var stages: [Stage]
    }

    static func threadCPU() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }

    static func peakRSS() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Int(usage.ru_maxrss) * 1024
    }

    private static func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) * 1e-6 }
}
