import Edge
import Foundation
import Synchronization
import Systemd
import Testing

@Suite("Edge proxy: routing, forwarding headers, limits, TLS, HTTP/2, failover, switching, WebSocket", .serialized)
struct ProxyTests {
    @Test("routes by Host, sets forwarding headers the client cannot forge, and 404s unknown hosts")
    func routingAndForwardedHeaders() async throws {
        try await EdgeHarness.with { edge in
            let shop = try edge.httpBackend("shop")
            let blog = try edge.httpBackend("blog")
            edge.route(["web.shop.apps.test": [shop], "web.blog.apps.test": [blog], "stopped.apps.test": []], version: 1)
            #expect(try await eventually { try await edge.curl([], host: "web.shop.apps.test").stdoutText == "shop" })
            #expect(try await edge.curl([], host: "WEB.Blog.apps.test").stdoutText == "blog")

            let echoed = try await edge.curl(["-H", "X-Forwarded-For: 6.6.6.6", "-H", "Forwarded: for=6.6.6.6",
                                              "-H", "X-Real-IP: 6.6.6.6", "-H", "Connection: keep-alive, X-Secret", "-H", "X-Secret: 1"],
                                             host: "web.shop.apps.test", path: "/headers")
            let headers = try #require(try JSONSerialization.jsonObject(with: Data(echoed.stdout)) as? [String: String], "\(echoed)")
            #expect(headers["x-forwarded-for"] == "127.0.0.1")
            #expect(headers["x-real-ip"] == "127.0.0.1")
            #expect(headers["x-forwarded-proto"] == "http")
            #expect(headers["x-forwarded-host"] == "web.shop.apps.test:\(edge.httpPort)")
            #expect(headers["forwarded"] == "for=127.0.0.1;proto=http;host=\"web.shop.apps.test:\(edge.httpPort)\"")
            #expect(headers["x-secret"] == nil, "a header named in Connection is hop-by-hop")
            #expect(headers["x-request-id"]?.count == 32)
            #expect(headers["host"] == "web.shop.apps.test:\(edge.httpPort)")

            let stopped = try await edge.curl(["-sS", "-o", "/dev/null", "-w", "%{http_code}"], host: "stopped.apps.test")
            #expect(stopped.stdoutText == "503", "routed, but no instance runs: \(stopped)")

            let unknown = try await edge.curl(["-i"], host: "nothing.apps.test")
            #expect(unknown.stdoutText.hasPrefix("HTTP/1.1 404"))
            #expect(unknown.stdoutText.contains("There is no app at this address"))
        }
    }

    @Test("oversized headers get 431, oversized bodies 413 (declared or chunked); a body within limits goes through")
    func limits() async throws {
        var settings = EdgeSettings()
        settings.maxHeaderBytes = 8 * 1024
        settings.maxBodyBytes = 64 * 1024
        try await EdgeHarness.with(settings: settings) { edge in
            let app = try edge.httpBackend("app")
            edge.route(["app.apps.test": [app]], version: 1)
            #expect(try await eventually { try await edge.status("app.apps.test") == 200 })

            let big = String(repeating: "a", count: 10 * 1024)
            #expect(try await edge.status("app.apps.test", ["-H", "X-Big: \(big)"]) == 431)
            let huge = String(repeating: "b", count: 100 * 1024)
            #expect(try await edge.status("app.apps.test", ["-H", "X-Huge: \(huge)"]) == 431)

            let bodyFile = edge.directory + "/body"
            try Data(repeating: 0x41, count: 100 * 1024).write(to: URL(fileURLWithPath: bodyFile))
            #expect(try await edge.status("app.apps.test", ["--data-binary", "@\(bodyFile)"]) == 413)
            #expect(try await edge.status("app.apps.test", ["--data-binary", "@\(bodyFile)", "-H", "Transfer-Encoding: chunked"]) == 413)
            let small = edge.directory + "/small"
            try Data(repeating: 0x41, count: 60 * 1024).write(to: URL(fileURLWithPath: small))
            #expect(try await edge.curl(["--data-binary", "@\(small)"], host: "app.apps.test").stdoutText == "app got \(60 * 1024)")
        }
    }

    @Test("HTTPS: HTTP/2 by ALPN, the certificate for each SNI name, HSTS; plain HTTP redirects with 308 and answers ACME challenges")
    func tlsAndRedirects() async throws {
        try await EdgeHarness.with(redirect: true) { edge in
            let app = try edge.httpBackend("secure")
            edge.route(["one.apps.test": [app], "two.apps.test": [app]], version: 1)
            #expect(try await eventually { try await edge.status("one.apps.test", https: true, ["--cacert", edge.localCA]) == 200 })

            for host in ["one.apps.test", "two.apps.test"] {
                let result = try await edge.curl(["-v", "--cacert", edge.localCA, "-w", "%{http_version}", "-D", "-"],
                                                 host: host, https: true)
                #expect(result.stdoutText.hasSuffix("secure2"), "\(result)")
                #expect(result.stderrText.contains("subjectAltName: host \"\(host)\" matched cert's \"\(host)\""), "\(result.stderrText)")
                #expect(result.stdoutText.lowercased().contains("strict-transport-security: max-age=31536000"))
            }
            let http1 = try await edge.curl(["--http1.1", "--cacert", edge.localCA, "-w", " %{http_version}"], host: "one.apps.test", https: true)
            #expect(http1.stdoutText == "secure 1.1")

            let redirect = try await edge.curl(["-i", "-X", "POST"], host: "one.apps.test", path: "/cart?x=1")
            #expect(redirect.stdoutText.hasPrefix("HTTP/1.1 308"))
            #expect(redirect.stdoutText.contains("location: https://one.apps.test:\(edge.httpsPort)/cart?x=1"))

            // An absolute-form target (RFC 9112 §3.2.2) is redirected by its path, never pasted whole.
            let absolute = try await edge.curl(["-i", "--request-target", "http://one.apps.test/cart?x=1"], host: "one.apps.test")
            #expect(absolute.stdoutText.contains("location: https://one.apps.test:\(edge.httpsPort)/cart?x=1\r\n"), "\(absolute)")

            await edge.certificates.challengeStore.publish(token: "tok-123", keyAuthorization: "tok-123.thumb")
            #expect(try await edge.curl([], host: "one.apps.test", path: "/.well-known/acme-challenge/tok-123?probe=1").stdoutText == "tok-123.thumb")
            #expect(try await edge.curl([], host: "one.apps.test", path: "/.well-known/acme-challenge/tok-123").stdoutText == "tok-123.thumb")
            #expect(try await edge.status("one.apps.test", path: "/.well-known/acme-challenge/other") == 404)

            // An unknown name gets the generic fallback certificate, and no certificate is made for it.
            let unknown = try await edge.curl(["-k", "-v"], host: "stranger.example.com", https: true)
            #expect(unknown.stdoutText.contains("There is no app at this address"))
            #expect(!edge.certificates.statuses().contains { $0.host == "stranger.example.com" })
        }
    }

    @Test("a backend killed mid-test is taken out: no request fails")
    func failover() async throws {
        try await EdgeHarness.with { edge in
            let first = try edge.httpBackend("a")
            let second = try edge.httpBackend("b")
            edge.route(["pair.apps.test": [first, second]], version: 1)
            #expect(try await eventually { try await edge.status("pair.apps.test") == 200 })
            var seen: Set<String> = []
            for _ in 0..<6 { seen.insert(try await edge.curl([], host: "pair.apps.test").stdoutText) }
            #expect(seen == ["a", "b"], "round robin")
            await first.stop()
            var statuses: [Int] = []
            var bodies: Set<String> = []
            for _ in 0..<30 {
                let result = try await edge.curl(["-w", " %{http_code}"], host: "pair.apps.test")
                let parts = result.stdoutText.split(separator: " ")
                bodies.insert(String(parts.first ?? ""))
                statuses.append(Int(parts.last ?? "") ?? -1)
            }
            #expect(statuses.allSatisfy { $0 == 200 }, "\(statuses)")
            #expect(bodies == ["b"])
        }
    }

    /// Pomegranate stops a deploy's old instances once nothing is open to them: the edge's idle keep-alive
    /// connections must not hold them up, while a response in progress still finishes on the old instance.
    @Test("a backend the routes drop loses the edge's idle connections at once; a stream in progress finishes")
    func droppedBackendConnectionsClose() async throws {
        try await EdgeHarness.with { edge in
            let old = try edge.httpBackend("old")
            let new = try edge.httpBackend("new")
            edge.route(["drop.apps.test": [old]], version: 1)
            #expect(try await eventually { try await edge.status("drop.apps.test") == 200 })
            let oldPort = try #require(Int(old.address.split(separator: ":").last ?? ""))
            // Twenty events 300 ms apart (6 s: a loaded machine still has it streaming when the routes change), from the
            // old instance. Once its first event is in, a request opens a second connection (the stream holds the first),
            // which the edge keeps idle.
            let events = edge.directory + "/events"
            let stream = Task { try await edge.curl(["-sS", "-N", "-o", events], host: "drop.apps.test", path: "/slowstream") }
            #expect(try await eventually(within: 10) { ((try? String(contentsOfFile: events, encoding: .utf8)) ?? "").contains("data: 0 ") })
            #expect(try await edge.curl(["-sS"], host: "drop.apps.test").stdoutText == "old")
            // (Idle ones: one per event loop that served a request here, so one or two.)
            #expect(establishedConnections(toPort: oldPort, of: old) >= 2, "a stream and idle connections")
            edge.route(["drop.apps.test": [new]], version: 2)
            #expect(try await eventually(within: 2) { establishedConnections(toPort: oldPort, of: old) == 1 }, "idle connections left open")
            #expect(try await edge.curl(["-sS"], host: "drop.apps.test").stdoutText == "new")
            _ = try await stream.value
            let streamed = (try? String(contentsOfFile: events, encoding: .utf8)) ?? ""
            #expect(streamed.split(separator: "\n").filter { $0.hasPrefix("data: ") }.count == 20, "\(streamed)")
            // Its connection was not kept for reuse: nothing is left open to the old instance.
            #expect(try await eventually(within: 2) { establishedConnections(toPort: oldPort, of: old) == 0 })
        }
    }

    @Test("switching routes under a client polling every 20 ms fails no request; streams are not buffered")
    func zeroDowntimeSwitch() async throws {
        try await EdgeHarness.with { edge in
            let old = try edge.httpBackend("old")
            let new = try edge.httpBackend("new")
            edge.route(["live.apps.test": [old]], version: 1)
            #expect(try await eventually { try await edge.status("live.apps.test") == 200 })

            let poller = Task { try await pollEvery20ms(port: edge.httpPort, host: "live.apps.test", seconds: 3) }
            try await Task.sleep(for: .seconds(1))
            edge.route(["live.apps.test": [new]], version: 2)
            try await Task.sleep(for: .milliseconds(500))
            await old.stop()  // retired after the drain, as Pomegranate does
            let tally = try await poller.value
            #expect(tally.failed == 0, "\(tally)")
            #expect(tally.bodies == ["old", "new"], "\(tally)")
            #expect(tally.succeeded > 30)

            // Server-sent events arrive as they are sent (300 ms apart), not when the response ends: the first one
            // reaches the client well before the 600 ms after which the instance sends the last.
            let reader = #"""
                import http.client, sys, time
                connection = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
                connection.request("GET", "/stream", headers={"Host": "live.apps.test"})
                response = connection.getresponse()
                delays = []
                while True:
                    line = response.readline()
                    if not line: break
                    if line.startswith(b"data:"):
                        delays.append(time.time() - float(line.split()[2]))
                print(len(delays), delays[0])
                """#
            let stream = try await ProgramRun("/usr/bin/python3", ["-c", reader, String(edge.httpPort)], environment: ["PATH": "/usr/bin:/bin"],
                                              timeout: .seconds(30)).run()
            let fields = stream.stdoutText.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            #expect(fields.first == "3", "\(stream)")
            #expect((fields.last.flatMap(Double.init) ?? 9) < 0.5, "events were held back: \(stream)")
        }
    }

    @Test("pipelined requests are answered in order, a malformed one last in its turn")
    func pipelining() async throws {
        try await EdgeHarness.with { edge in
            let shop = try edge.httpBackend("shop")
            edge.route(["web.shop.apps.test": [shop]], version: 1)
            #expect(try await eventually { try await edge.status("web.shop.apps.test") == 200 })
            // All requests in one write; the statuses and bodies must come back in request order.
            let script = #"""
                import re, socket, sys
                port = int(sys.argv[1])
                shop = b"GET /%s HTTP/1.1\r\nHost: web.shop.apps.test\r\n\r\n"
                s = socket.create_connection(("127.0.0.1", port), timeout=10)
                s.sendall(shop % b"a" + shop % b"headers" + b"GET / HTTP/1.1\r\nHost: nothing.apps.test\r\n\r\n"
                          + shop % b"b" + b"NOT HTTP\r\n\r\n")
                data = b""
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                text = data.decode(errors="replace")
                print(" ".join(re.findall(r"HTTP/1.1 (\d+)", text)))
                print(text.count("x-forwarded-for"))
                """#
            let result = try await ProgramRun("/usr/bin/python3", ["-c", script, String(edge.httpPort)],
                                              environment: ["PATH": "/usr/bin:/bin"], timeout: .seconds(30)).run()
            let lines = result.stdoutText.split(separator: "\n").map(String.init)
            #expect(lines == ["200 200 404 200 400", "1"], "\(result)")
        }
    }

    @Test("a WebSocket echo is proxied and keeps working across a route switch")
    func webSocketAcrossSwitch() async throws {
        try await EdgeHarness.with { edge in
            let first = try edge.webSocketBackend("v1")
            let second = try edge.webSocketBackend("v2")
            edge.route(["ws.apps.test": [first]], version: 1)
            // The client signals through files: "connected" once its first echo came back; it then waits for
            // "switched" (the test changes the route meanwhile) and talks on the same connection again.
            let script = #"""
                import asyncio, os, sys, websockets
                port, directory = sys.argv[1], sys.argv[2]
                async def connect():
                    for attempt in range(200):
                        try:
                            return await websockets.connect("ws://ws.apps.test:%s/" % port, host="127.0.0.1", port=int(port))
                        except Exception:
                            await asyncio.sleep(0.05)
                    raise SystemExit("no connection")
                async def main():
                    ws = await connect()
                    await ws.send("one"); print(await ws.recv(), flush=True)
                    open(os.path.join(directory, "connected"), "w").close()
                    while not os.path.exists(os.path.join(directory, "switched")):
                        await asyncio.sleep(0.02)
                    await ws.send("two"); print(await ws.recv(), flush=True)
                    fresh = await connect()
                    await fresh.send("three"); print(await fresh.recv(), flush=True)
                    await ws.close(); await fresh.close()
                asyncio.run(main())
                """#
            let path = edge.directory + "/ws-client.py"
            try script.write(toFile: path, atomically: true, encoding: .utf8)
            let client = Task {
                try await ProgramRun("/usr/bin/python3", [path, String(edge.httpPort), edge.directory],
                                     environment: ["PATH": "/usr/bin:/bin"], timeout: .seconds(60)).run()
            }
            #expect(try await eventually(within: 30) { FileManager.default.fileExists(atPath: edge.directory + "/connected") })
            edge.route(["ws.apps.test": [second]], version: 2)
            FileManager.default.createFile(atPath: edge.directory + "/switched", contents: nil)
            let result = try await client.value
            let lines = result.stdoutText.split(separator: "\n").map(String.init)
            #expect(lines == ["v1:one", "v1:two", "v2:three"], "\(result)")
        }
    }
}

struct PollTally: Sendable, CustomStringConvertible {
    var succeeded = 0
    var failed = 0
    var bodies: [String] = []
    var description: String { "succeeded \(succeeded), failed \(failed), bodies \(bodies)" }
}

/// A Python client on one keep-alive connection (reconnecting if the edge closes it) sending GET / every
/// 20 ms; counts non-200 answers and errors, and records the distinct bodies in order.
func pollEvery20ms(port: Int, host: String, seconds: Double) async throws -> PollTally {
    let script = #"""
        import http.client, sys, time
        port, host, seconds = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
        ok = failed = 0
        bodies = []
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        end = time.time() + seconds
        while time.time() < end:
            try:
                connection.request("GET", "/", headers={"Host": host})
                response = connection.getresponse()
                body = response.read().decode()
                if response.status == 200:
                    ok += 1
                    if not bodies or bodies[-1] != body:
                        bodies.append(body)
                else:
                    failed += 1
                    print("status", response.status, body[:80], file=sys.stderr)
            except Exception as error:
                failed += 1
                print("error", repr(error), file=sys.stderr)
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            time.sleep(0.02)
        print(ok, failed, ",".join(bodies))
        """#
    let result = try await ProgramRun("/usr/bin/python3", ["-c", script, String(port), host, String(seconds)],
                                      environment: ["PATH": "/usr/bin:/bin"], timeout: .seconds(seconds + 30)).run()
    let fields = result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ")
    guard fields.count == 3, let ok = Int(fields[0]), let failed = Int(fields[1]) else {
        return PollTally(succeeded: 0, failed: -1, bodies: [result.description])
    }
    return PollTally(succeeded: ok, failed: failed, bodies: fields[2].split(separator: ",").map(String.init))
}

/// Established TCP connections to a local port, from the host's socket table (IPv4), read whole: with the
/// whole suite running it is far longer than the 4 KiB Foundation's String(contentsOfFile:) reads of it.
func establishedConnections(toPort port: Int, of backend: TestBackend) -> Int {
    SocketTable.establishedConnections(toPort: port, in: (try? KernelFile.read("/proc/\(backend.process.pid)/net/tcp")) ?? "")
}
