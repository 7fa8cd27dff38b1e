import Edge
import Foundation
import Glibc
import Logging
import NIOSSL
import ServiceLifecycle
import Synchronization
import Systemd

/// A real edge in this process on ephemeral loopback ports, with real backends (Python HTTP and WebSocket
/// servers handed their listening sockets as fd 3) and real clients (curl, Python).
final class EdgeHarness: Sendable {
    let directory: String
    let routes: RouteTableStore
    let httpPort: Int
    let httpsPort: Int
    let certificates: CertificateManager
    private let group: ServiceGroup
    private let running: Task<Void, Error>
    private let backends = Mutex<[TestBackend]>([])

    /// Runs `body` with an edge and stops it, and every backend made through it, however `body` ends.
    static func with(settings: EdgeSettings = EdgeSettings(), redirect: Bool = false,
                     _ body: (EdgeHarness) async throws -> Void) async throws {
        let edge = try await EdgeHarness(settings: settings, redirect: redirect)
        do {
            try await body(edge)
        } catch {
            await edge.stop()
            throw error
        }
        await edge.stop()
    }

    /// A Python HTTP backend that ``stop()`` kills.
    func httpBackend(_ name: String) throws -> TestBackend {
        let backend = try TestBackend.http(name, in: directory)
        backends.withLock { $0.append(backend) }
        return backend
    }

    /// A Python WebSocket echo backend that ``stop()`` kills.
    func webSocketBackend(_ name: String) throws -> TestBackend {
        let backend = try TestBackend.webSocket(name, in: directory)
        backends.withLock { $0.append(backend) }
        return backend
    }

    init(settings: EdgeSettings = EdgeSettings(), redirect: Bool = false) async throws {
        directory = try makeTemporaryDirectory("edge")
        let logger = Logger(label: "edge-test")
        let routes = RouteTableStore(platform: [:], maxBodyBytes: settings.maxBodyBytes, logger: logger)
        self.routes = routes
        let certificates = try CertificateManager(mode: .localCA, store: try CertificateStore(directory: directory + "/edge"),
                                                  isKnownHost: { routes.isRouted($0) }, logger: logger)
        self.certificates = certificates
        let httpFD = try ListeningSocket.bindTCP(host: "127.0.0.1", port: 0)
        let httpsFD = try ListeningSocket.bindTCP(host: "127.0.0.1", port: 0)
        httpPort = try boundPort(httpFD)
        httpsPort = try boundPort(httpsFD)
        var settings = settings
        settings.redirectHTTPToHTTPS = redirect
        settings.publicHTTPSPort = httpsPort
        settings.accessLog = false
        let challenges = certificates.challengeStore
        let server = EdgeServer(
            httpSocket: httpFD, httpsSocket: httpsFD, routes: routes, settings: settings,
            challengeAnswer: { challenges.keyAuthorization(forToken: $0) },
            certificates: { name in
                let served = certificates.serverCertificate(forServerName: name)
                return (served.chain, served.privateKey)
            },
            logger: logger)
        group = ServiceGroup(services: [server], gracefulShutdownSignals: [], cancellationSignals: [], logger: logger)
        let group = self.group
        running = Task { try await group.run() }
    }

    var localCA: String { directory + "/edge/local-ca.pem" }

    /// Routes `host` to the given backends (replacing the whole app table, as Pomegranate does).
    func route(_ table: [String: [TestBackend]], version: UInt64) {
        routes.updateAppRoutes(table.map { host, backends in
            RouteSources.AppRoute(host: host, deploymentID: "deployment-\(host)", backends: backends.map(\.address))
        }, version: version)
    }

    /// A graceful stop, as SIGTERM starts one, with the backends left running; returns how long the edge took.
    func stopGracefully() async -> Duration {
        let started = ContinuousClock.now
        await group.triggerGracefulShutdown()
        _ = try? await running.value
        return ContinuousClock.now - started
    }

    func stop() async {
        for backend in backends.withLock({ $0 }) { await backend.stop() }
        await group.triggerGracefulShutdown()
        _ = try? await running.value
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// curl against the edge; `--resolve` makes every name reach 127.0.0.1.
    func curl(_ arguments: [String], host: String, https: Bool = false, path: String = "/") async throws -> ProgramRun.Result {
        let port = https ? httpsPort : httpPort
        let url = "\(https ? "https" : "http")://\(host):\(port)\(path)"
        return try await ProgramRun("/usr/bin/curl", ["-sS", "--max-time", "20", "--resolve", "\(host):\(port):127.0.0.1"] + arguments + [url],
                                    environment: ["PATH": "/usr/bin:/bin"], timeout: .seconds(30)).run()
    }

    /// Just the HTTP status of a GET (or other method given in `arguments`).
    func status(_ host: String, https: Bool = false, path: String = "/", _ arguments: [String] = []) async throws -> Int {
        let result = try await curl(["-o", "/dev/null", "-w", "%{http_code}"] + arguments, host: host, https: https, path: path)
        return Int(result.stdoutText) ?? -1
    }
}

/// A Python server on a loopback port of its own, killed by `stop()`.
final class TestBackend: Sendable {
    let address: String
    let process: ChildProcess
    private let stopped = Mutex(false)

    /// Python's ThreadingHTTPServer (HTTP/1.1 keep-alive) answering its `name`; `/headers` echoes the
    /// request headers as JSON, `/stream` sends three events 300 ms apart (`/longstream` ten, `/slowstream` twenty), POST counts the body.
    static func http(_ name: String, in directory: String) throws -> TestBackend {
        try TestBackend(script: httpScript, name: name, directory: directory)
    }

    /// A WebSocket echo server (python3-websockets): answers each message with `<name>:<message>`.
    static func webSocket(_ name: String, in directory: String) throws -> TestBackend {
        try TestBackend(script: webSocketScript, name: name, directory: directory)
    }

    private init(script: String, name: String, directory: String) throws {
        let path = directory + "/backend-\(abs(script.hashValue)).py"
        if !FileManager.default.fileExists(atPath: path) { try script.write(toFile: path, atomically: true, encoding: .utf8) }
        let fd = try ListeningSocket.bindTCP(host: "127.0.0.1", port: 0)
        defer { close(fd) }
        address = "127.0.0.1:\(try boundPort(fd))"
        let devNull = open("/dev/null", O_WRONLY)
        defer { close(devNull) }
        process = try ChildProcess.spawn(executable: "/usr/bin/python3", arguments: [path, name],
                                         environment: ["PATH": "/usr/bin:/bin"], passingFDs: [fd], output: devNull)
    }

    /// Kills and reaps it, once (a second signal could reach a process that reused the pid).
    func stop() async {
        guard !stopped.withLock({ let was = $0; $0 = true; return was }) else { return }
        try? process.signal(SIGKILL)
        _ = await process.waitForExit()
    }

    static let httpScript = #"""
        import http.server, json, socket, sys, time
        name = sys.argv[1]
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def log_message(self, *args): pass
            def reply(self, body, status=200, content_type="text/plain"):
                self.send_response(status)
                self.send_header("content-type", content_type)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            def do_GET(self):
                if self.path == "/headers":
                    self.reply(json.dumps({k.lower(): v for k, v in self.headers.items()}).encode(), content_type="application/json")
                elif self.path in ("/stream", "/longstream", "/slowstream"):
                    self.send_response(200)
                    self.send_header("content-type", "text/event-stream")
                    self.send_header("transfer-encoding", "chunked")
                    self.end_headers()
                    for i in range({"/stream": 3, "/longstream": 10}.get(self.path, 20)):
                        event = ("data: %d %f\n\n" % (i, time.time())).encode()
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
                        self.wfile.flush()
                        time.sleep(0.3)
                    self.wfile.write(b"0\r\n\r\n")
                else:
                    self.reply(name.encode())
            def do_POST(self):
                # The whole body is read before answering, chunked or not (as most apps do).
                if self.headers.get("transfer-encoding", "").lower() == "chunked":
                    data = b""
                    while True:
                        size = int(self.rfile.readline().split(b";")[0], 16)
                        if size == 0:
                            self.rfile.readline()
                            break
                        data += self.rfile.read(size)
                        self.rfile.readline()
                else:
                    data = self.rfile.read(int(self.headers.get("content-length", "0")))
                self.reply(("%s got %d" % (name, len(data))).encode())
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler, bind_and_activate=False)
        server.socket.close()
        server.socket = socket.socket(fileno=3)
        server.serve_forever()
        """#

    static let webSocketScript = #"""
        import asyncio, socket, sys, websockets
        name = sys.argv[1]
        async def echo(ws, path=None):
            async for message in ws:
                await ws.send("%s:%s" % (name, message))
        async def main():
            async with websockets.serve(echo, sock=socket.socket(fileno=3)):
                await asyncio.Future()
        asyncio.run(main())
        """#
}

func boundPort(_ fd: Int32) throws -> Int {
    var address = sockaddr_in()
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = try SystemCall.retryingInterrupts("getsockname(\(fd))") {
        withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}

func makeTemporaryDirectory(_ prefix: String) throws -> String {
    let path = NSTemporaryDirectory() + "paastech-\(prefix)-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Polls `condition` every 20 ms until it holds; false after `seconds`.
func eventually(within seconds: Double = 10, _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(20))
    }
    return false
}
