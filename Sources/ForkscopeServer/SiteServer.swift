import Foundation
import Forkscope
import Hummingbird
import Logging

/// `forkscope serve`'s HTTP server (Hummingbird): the site folder's files, with live reload in
/// its pages (`LiveReload`) and the error page while the latest build has failed (`ErrorPage`).
/// GET and HEAD only; nothing outside the site folder is ever read (`ServedPath`).
public struct SiteServer: Sendable {
    public let service: SiteService
    public let host: String
    public let port: Int

    public init(service: SiteService, host: String, port: Int) {
        self.service = service
        self.host = host
        self.port = port
    }

    /// Serves until SIGINT or SIGTERM. `ready` gets the address it listens on.
    public func run(ready: @escaping @Sendable (String) -> Void) async throws {
        let router = Router()
        router.add(middleware: SiteFiles(service: service))
        var logger = Logger(label: "forkscope-serve")
        logger.logLevel = .error
        let app = Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: nil),
                              onServerRunning: { channel in
                                  let port = channel.localAddress?.port ?? self.port
                                  let shown = host.contains(":") ? "[\(host)]" : host
                                  ready("http://\(shown):\(port)/")
                              }, logger: logger)
        // The event streams never end by themselves: end them when a signal stops the server,
        // so that its graceful shutdown does not wait for them.
        let service = self.service
        let stops = [SIGINT, SIGTERM].map { signal in
            let source = DispatchSource.makeSignalSource(signal: signal)
            source.setEventHandler { service.finish() }
            source.resume()
            return source
        }
        defer { stops.forEach { $0.cancel() } }
        let heartbeat = Task {
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: 15_000_000_000)
                service.heartbeat()
            }
        }
        defer { heartbeat.cancel() }
        try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
    }
}

/// Answers every request from the site folder, the live-reload script or its event stream.
struct SiteFiles<Context: RequestContext>: RouterMiddleware {
    let service: SiteService

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .get || request.method == .head else {
            return Self.text(.methodNotAllowed, "GET and HEAD only\n", headers: [.allow: "GET, HEAD"])
        }
        let target = request.head.path ?? "/"
        let path = String(target.prefix { $0 != "?" })
        if path == LiveReload.scriptPath {
            return Self.response(.ok, Data(LiveReload.script.utf8), type: "text/javascript; charset=utf-8")
        }
        if path == LiveReload.eventsPath {
            return events()
        }
        let state = service.state
        switch ServedPath.resolve(target, root: service.options.out) {
        case .refused:
            return Self.text(.badRequest, "not a path of this site\n")
        case .redirect(let to):
            return Response(status: .movedPermanently, headers: [.location: to])
        case .notFound:
            if let failure = state.failure { return Self.response(.internalServerError, ErrorPage.html(error: failure, path: path, version: state.version)) }
            let notFound = (service.options.out as NSString).appendingPathComponent("404.html")
            let page = FileManager.default.contents(atPath: notFound) ?? Data("Not found\n".utf8)
            return Self.response(.notFound, LiveReload.inject(into: page, version: state.version))
        case .file(let file, let html):
            let lastGood = target.contains("?last-good")
            if html, let failure = state.failure, !lastGood {
                return Self.response(.internalServerError, ErrorPage.html(error: failure, path: path, version: state.version))
            }
            guard let data = FileManager.default.contents(atPath: file) else { return Self.text(.notFound, "not found\n") }
            return Self.response(.ok, html && !lastGood ? LiveReload.inject(into: data, version: state.version) : data,
                                 type: ServedPath.contentType(file))
        }
    }

    /// The server-sent event stream: the site's version now, then at each change.
    func events() -> Response {
        let (_, stream) = service.subscribe()
        let body = ResponseBody { writer in
            for await event in stream {
                try await writer.write(ByteBuffer(string: event))
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"], body: body)
    }

    static func response(_ status: HTTPResponse.Status, _ data: Data, type: String = "text/html; charset=utf-8") -> Response {
        Response(status: status, headers: [.contentType: type, .cacheControl: "no-store", .contentLength: String(data.count)],
                 body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func text(_ status: HTTPResponse.Status, _ text: String, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "text/plain; charset=utf-8"
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
