import ArgumentParser
import Forkscope
import ForkscopeServer
import Foundation

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Build a run's site, serve it on this machine and rebuild it, reloading open pages, whenever its run, commentary or templates change.",
        discussion: """
            Serves on 127.0.0.1 only unless --host says otherwise. Pages served carry a live-reload \
            script that a built site never holds. A failed rebuild shows its error in the browser \
            and keeps the last good site.
            """)

    @Argument(help: "The run folder (holding run.json).")
    var runFolder: String?

    @Option(help: "The folder to build the site into (default: a new temporary folder).")
    var out: String?

    @OptionGroup var site: SiteArguments

    @Option(help: "The port to listen on (0: any free port; the address is printed).")
    var port: Int = 8000

    @Option(help: "The address to listen on. Anything but loopback lets other machines read the site.")
    var host: String = "127.0.0.1"

    @Flag(help: "Replace the output folder even if forkscope did not write it.")
    var force = false

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must lie in 0…65535") }
        guard !host.isEmpty else { throw ValidationError("--host must name an address") }
    }

    func run() throws {
        var options: BuildOptions?
        var temporary: String?   // the output folder, when serve made it up (removed on exit)
        try ErrorReport.run {
            // Every layer's entries (first pass and recommended view's UMAP) stay decoded, so a
            // rebuild after an edit reads nothing back from disk.
            var o = try site.buildOptions(run: runFolder, out: out, inMemory: 1024) {
                temporary = FileManager.default.temporaryDirectory.appendingPathComponent("forkscope-serve-\(getpid())").path
                return temporary!
            }
            o.force = force
            options = o
        }
        guard let options else { throw ExitCode.failure }
        let watching = [options.run, options.content ?? (options.run as NSString).appendingPathComponent("commentary"),
                        options.templates, site.config].compactMap { $0 }
        let service = SiteService(options: options, watching: watching) { line in
            ErrorReport.stderr("forkscope serve: \(line)")
        }
        ErrorReport.stderr("forkscope serve: building \(options.run) into \(options.out)")
        service.rebuild()
        if !["127.0.0.1", "::1", "localhost"].contains(host) {
            ErrorReport.stderr("forkscope serve: warning: listening on \(host), not only on this machine's loopback")
        }
        let watcher = Task.detached { await service.watch() }
        defer { watcher.cancel() }
        // The server is async; the command waits for it on this (main) thread, which is not one
        // of the threads its tasks run on.
        let server = SiteServer(service: service, host: host, port: port)
        let outcome = ServerOutcome()
        Task.detached {
            do {
                try await server.run { address in
                    FileHandle.standardOutput.write(Data("Serving \(address) (Ctrl-C to stop)\n".utf8))
                }
            } catch {
                outcome.error = error
            }
            outcome.done.signal()
        }
        outcome.done.wait()
        if let temporary { try? FileManager.default.removeItem(atPath: temporary) }
        if let error = outcome.error {
            ErrorReport.stderr("forkscope serve: error: cannot serve on \(host):\(port): \(error)")
            throw ExitCode.failure
        }
    }
}

/// How the server ended, handed from its task to the waiting command.
private final class ServerOutcome: @unchecked Sendable {
    let done = DispatchSemaphore(value: 0)
    var error: Error?
}
