import Glibc
import Hummingbird
import Logging
import ServiceLifecycle
import Testing

@testable import Systemd

/// A context like the API's: it records who is calling over a Unix socket.
struct PeerAwareContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let peerCredentials: PeerCredentials?

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.peerCredentials = PeerCredentials.of(source.channel)
    }
}

/// One-shot signal from a route handler to the test.
final class Signal: Sendable {
    private let stream: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    init() {
        (stream, continuation) = AsyncStream.makeStream()
    }

    func fire() { continuation.yield() }

    func wait() async {
        for await _ in stream { return }
    }
}

@Suite("Activated HTTP server", .timeLimit(.minutes(1)))
struct ActivatedHTTPServerTests {
    let logger = Logger(label: "test.activated-http-server")

    /// Runs `server` in a ServiceGroup, calls `body`, then shuts down gracefully and checks `run()` returns.
    func withRunningServer(
        _ server: some Service,
        _ body: @Sendable (ServiceGroup) async throws -> Void
    ) async throws {
        let group = ServiceGroup(configuration: .init(services: [server], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await body(group)
            await group.triggerGracefulShutdown()
            // Returns only when the server's run() has returned.
            try await tasks.next()
        }
    }

    @Test func servesARouterOnATCPSocketWithALargeBacklog() async throws {
        // A small backlog, as a parent might have used: the server must raise it to 1024.
        let fd = try ListeningSocket.bindTCP(host: "127.0.0.1", port: 0, backlog: 8)
        let port = try localPort(of: fd)
        let router = Router()
        router.get("hello") { _, _ in "hello from an activated socket" }
        let server = ActivatedHTTPServer.serving(router: router, on: ActivatedSocket(fd: fd, name: "http"), logger: logger)

        try await withRunningServer(server) { _ in
            let response = try await RawHTTPClient.get("/hello", from: .tcp(port: port))
            #expect(response.statusLine == "HTTP/1.1 200 OK")
            #expect(response.body == "hello from an activated socket")
            #expect(response.headers["date"]?.hasSuffix(" GMT") == true)

            let missing = try await RawHTTPClient.get("/missing", from: .tcp(port: port))
            #expect(missing.statusLine == "HTTP/1.1 404 Not Found")

            let (backlog, report) = try await listenBacklog(port: port)
            #expect(backlog == 1024, "ss reported: \(report)")
        }
        // Graceful shutdown closed the listening socket.
        let error = #expect(throws: SystemCallError.self) { try RawHTTPClient.connectBlocking(.tcp(port: port)) }
        #expect(error?.errno == ECONNREFUSED)
    }

    @Test func gracefulShutdownFinishesInFlightRequests() async throws {
        let fd = try ListeningSocket.bindTCP(host: "127.0.0.1", port: 0)
        let port = try localPort(of: fd)
        let requestArrived = Signal()
        let router = Router()
        router.get("slow") { _, _ in
            requestArrived.fire()
            try await Task.sleep(for: .milliseconds(500))
            return "finished after shutdown began"
        }
        let server = ActivatedHTTPServer(responder: router.buildResponder(), socket: fd, logger: logger)

        let group = ServiceGroup(configuration: .init(services: [server], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            async let response = RawHTTPClient.get("/slow", from: .tcp(port: port))
            await requestArrived.wait()
            await group.triggerGracefulShutdown()
            let finished = try await response
            #expect(finished.statusLine == "HTTP/1.1 200 OK")
            #expect(finished.body == "finished after shutdown began")
            try await tasks.next()
        }
    }

    @Test func unixSocketPeerCredentialsNameTheCaller() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = "\(directory.path)/api.sock"
        let fd = try ListeningSocket.bindUnix(path: path, mode: 0o600)
        let router = Router(context: PeerAwareContext.self)
        router.get("whoami") { _, context in
            guard let peer = context.peerCredentials else { return "no credentials" }
            return "uid=\(peer.uid) gid=\(peer.gid) pid=\(peer.pid)"
        }
        let server = ActivatedHTTPServer(router: router, socket: fd, logger: logger)

        try await withRunningServer(server) { _ in
            let response = try await RawHTTPClient.get("/whoami", from: .unix(path: path))
            #expect(response.statusLine == "HTTP/1.1 200 OK")
            #expect(response.body == "uid=\(getuid()) gid=\(getgid()) pid=\(getpid())")
        }
        // Closed connections leave nothing behind.
        #expect(PeerCredentials.recordedCount == 0)
    }

    @Test func tcpPeersHaveNoCredentials() async throws {
        let fd = try ListeningSocket.bindTCP(host: "127.0.0.1", port: 0)
        let port = try localPort(of: fd)
        let router = Router(context: PeerAwareContext.self)
        router.get("whoami") { _, context in
            context.peerCredentials == nil ? "tcp peer" : "unexpected credentials"
        }
        let server = ActivatedHTTPServer.serving(router: router, on: fd, logger: logger)
        try await withRunningServer(server) { _ in
            let response = try await RawHTTPClient.get("/whoami", from: .tcp(port: port))
            #expect(response.body == "tcp peer")
        }
    }

    /// The accept-queue limit of the listening socket on `port`, as `ss` reports it (Send-Q of a LISTEN socket).
    func listenBacklog(port: Int) async throws -> (Int?, String) {
        let output = try makePipe()
        defer { close(output.read) }
        // Fixed script; the port arrives as "$1".
        let child = try ChildProcess.spawn(
            executable: "/bin/sh",
            arguments: ["-c", "exec ss -ltnH \"sport = :$1\" >&3", "sh", "\(port)"],
            environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"],
            passingFDs: [output.write]
        )
        close(output.write)
        let text = String(decoding: try await onOwnThread { try readAll(output.read) }, as: UTF8.self)
        #expect(await child.waitForExit() == .exited(code: 0))
        // LISTEN  0  1024  127.0.0.1:port  0.0.0.0:*
        let columns = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
        return (columns.count > 2 ? Int(columns[2]) : nil, text)
    }
}
