import Foundation
import Forkscope

/// The state behind `forkscope serve`: builds the site, rebuilds it when its inputs change, and
/// tells open pages (`LiveReload`). A failed build keeps the last good site in the output folder
/// and is shown in place of its pages until a build succeeds.
public final class SiteService: @unchecked Sendable {
    public let options: BuildOptions
    let watched: WatchedFiles
    private let log: @Sendable (String) -> Void
    private let lock = NSLock()
    /// Goes up with each build that changed the site or its failure.
    private var version = 0
    private var failure: String?
    private var listeners = [UUID: AsyncStream<String>.Continuation]()

    /// - Parameters:
    ///   - watching: files and folders whose change triggers a rebuild.
    ///   - log: a line per build (its summary, or its error).
    public init(options: BuildOptions, watching: [String], log: @escaping @Sendable (String) -> Void) {
        self.options = options
        self.watched = WatchedFiles(paths: watching, ignoring: options.out)
        self.log = log
    }

    /// The site's version and, if the latest build failed, its error.
    public var state: (version: Int, failure: String?) { lock.withLock { (version, failure) } }

    /// Builds now, on the calling thread. Open pages are told if anything changed.
    public func rebuild() {
        let started = Date()
        var message: String?
        var changed = false
        do {
            let result = try Build.run(options)
            changed = result.summary.written > 0
            for w in result.warnings + result.summary.cacheWarnings { log("warning: \(w)") }
            log(String(format: "built at %.3f in %.2f s: ", Date().timeIntervalSince1970, Date().timeIntervalSince(started))
                + "\(result.summary.rendered) of \(result.summary.files) files rendered, \(result.summary.written) written")
        } catch {
            message = "\(error)"
            log("build failed: \(error)")
        }
        let event: String? = lock.withLock {
            guard changed || message != failure else { return nil }
            failure = message
            version += 1
            return LiveReload.event(version)
        }
        if let event { broadcast(event) }
    }

    /// Polls the inputs every `interval` seconds and rebuilds once a change has settled (no
    /// further change for one interval: editors save in several steps), until cancelled.
    public func watch(interval: Double = 0.1) async {
        var last = watched.fingerprint()
        while !Task.isCancelled {
            try? await Task.sleep(nanoseconds: UInt64(interval * 1e9))
            var now = watched.fingerprint()
            guard now != last else { continue }
            repeat {
                last = now
                try? await Task.sleep(nanoseconds: UInt64(interval * 1e9))
                now = watched.fingerprint()
            } while now != last
            // On a thread of its own: a build may take minutes of CPU, which must not hold one of
            // the few threads the server's tasks share.
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                Thread.detachNewThread { self.rebuild(); done.resume() }
            }
            last = watched.fingerprint()
        }
    }

    /// A stream of events for one open page, starting with the current version.
    func subscribe() -> (id: UUID, events: AsyncStream<String>) {
        let id = UUID()
        let (stream, continuation) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(8))
        lock.withLock {
            continuation.yield(LiveReload.event(version))
            listeners[id] = continuation
        }
        continuation.onTermination = { [weak self] _ in self?.unsubscribe(id) }
        return (id, stream)
    }

    func unsubscribe(_ id: UUID) { _ = lock.withLock { listeners.removeValue(forKey: id) } }

    /// A comment line to every open page, so that dead connections are noticed and dropped.
    func heartbeat() { broadcast(": keep-alive\n\n") }

    /// Ends every event stream (the server is stopping).
    public func finish() {
        let all = lock.withLock { let all = listeners; listeners = [:]; return all }
        for c in all.values { c.finish() }
    }

    private func broadcast(_ event: String) {
        let all = lock.withLock { Array(listeners.values) }
        for c in all { c.yield(event) }
    }
}
