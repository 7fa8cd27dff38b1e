import Edge
import Foundation
import Glibc
import Systemd
import Testing

/// `systemctl stop` (or restart, or an upgrade) of the edge under traffic: nothing in progress is cut.
@Suite("Graceful stop of the edge")
struct EdgeShutdownTests {
    @Test("idle connections close at once, answers in progress finish (HTTP/1.1 and HTTP/2), a new connection's first request is answered, new connections are refused, the edge stops when they are done")
    func stopDrainsConnections() async throws {
        var settings = EdgeSettings()
        settings.shutdownTimeout = .seconds(20)  // far above the answers' 3 s: a stop that waits it out fails below
        try await EdgeHarness.with(settings: settings) { try await story($0) }  // its stop() after ours is a no-op
    }

    func story(_ edge: EdgeHarness) async throws {
        let backend = try edge.httpBackend("app")
        edge.route(["app.test": [backend]], version: 1)
        #expect(try await eventually { try await edge.status("app.test") == 200 })

        // HTTP/2: a stream of ten events 300 ms apart (curl -N writes each as it comes; -v notes the GOAWAY).
        let h2Output = edge.directory + "/h2.out", h2Log = edge.directory + "/h2.log"
        let h2File = open(h2Output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        let h2LogFile = open(h2Log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        let h2 = try ChildProcess.spawn(
            executable: "/usr/bin/curl",
            arguments: ["-sS", "-v", "-N", "--http2", "--max-time", "15", "--cacert", edge.localCA, "-w", "\nstatus %{http_code} HTTP/%{http_version}",
                        "--resolve", "app.test:\(edge.httpsPort):127.0.0.1", "https://app.test:\(edge.httpsPort)/longstream"],
            environment: ["PATH": "/usr/bin:/bin"], passingFDs: [], output: h2File, errorOutput: h2LogFile)
        close(h2File)
        close(h2LogFile)
        #expect(try await eventually { ((try? String(contentsOfFile: h2Output, encoding: .utf8)) ?? "").contains("data: 0") })
        // HTTP/1.1: an idle keep-alive connection, one in the middle of the same stream, a new one.
        let ready = edge.directory + "/client.ready"
        let clientOutput = edge.directory + "/client.out"
        let clientFile = open(clientOutput, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        let client = try ChildProcess.spawn(
            executable: "/usr/bin/python3", arguments: ["-c", Self.client, String(edge.httpPort), "app.test", ready],
            environment: ["PATH": "/usr/bin:/bin"], passingFDs: [], output: clientFile)
        close(clientFile)
        #expect(try await eventually { FileManager.default.fileExists(atPath: ready) })

        let stopping = await edge.stopGracefully()

        #expect(await client.waitForExit() == .exited(code: 0))
        let report = try String(contentsOfFile: clientOutput, encoding: .utf8)
        let result = try #require(try JSONSerialization.jsonObject(with: Data(report.utf8)) as? [String: Any], "\(report)")
        #expect(result["idle_closed"] as? Bool == true, "\(result)")
        #expect((result["idle_closed_after"] as? Double ?? 99) < 5, "the idle connection stayed open: \(result)")
        #expect(result["fresh_answered"] as? Bool == true, "a new connection's first request sent during the stop: \(result)")
        #expect(result["fresh_told_to_close"] as? Bool == true, "\(result)")
        #expect(result["stream_complete"] as? Bool == true, "the answer in progress was cut: \(result)")
        #expect(result["stream_closed"] as? Bool == true, "\(result)")
        #expect(result["refused"] as? Bool == true, "a new connection was accepted while stopping: \(result)")

        #expect(await h2.waitForExit() == .exited(code: 0))
        let h2Body = try String(contentsOfFile: h2Output, encoding: .utf8)
        #expect(h2Body.contains("data: 9") && h2Body.hasSuffix("status 200 HTTP/2"), "\(h2Body)")
        let h2Verbose = try String(contentsOfFile: h2Log, encoding: .utf8)
        // curl 7.88 notes it as "recveived GOAWAY, error=0, last_stream=1" (sic): the stream was let finish.
        #expect(h2Verbose.contains("GOAWAY, error=0"), "no GOAWAY reached the HTTP/2 client:\n\(h2Verbose.suffix(2000))")

        #expect(stopping < .seconds(10), "the edge took \(stopping) to stop: it waited out its shutdown timeout")
    }

    /// Prints what happened to each connection as JSON, once both are done.
    static let client = #"""
        import json, socket, sys, time
        port, host, ready = int(sys.argv[1]), sys.argv[2], sys.argv[3]
        def connect():
            s = socket.create_connection(("127.0.0.1", port))
            s.settimeout(15)
            return s
        def get(s, path):
            s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (path, host)).encode())
        idle = connect()
        get(idle, "/")
        answer = b""
        while not (b"\r\n\r\n" in answer and answer.endswith(b"app")):
            answer += idle.recv(4096)
        stream = connect()
        get(stream, "/longstream")
        data = b""
        while b"data: 0" not in data:
            data += stream.recv(4096)
        fresh = connect()  # connected, its first request not sent yet
        time.sleep(0.1)  # accepted by the edge
        open(ready, "w").write("ready")
        started = time.monotonic()
        result = {}
        # The idle keep-alive connection is closed by the edge once the stop has begun...
        try:
            result["idle_closed"] = idle.recv(4096) == b""
        except OSError as error:
            result["idle_closed"] = False
            result["idle_error"] = str(error)
        result["idle_closed_after"] = time.monotonic() - started
        # ...and the new connection's first request, sent after that, is still answered, and told to close.
        time.sleep(0.1)
        get(fresh, "/")
        answer = b""
        try:
            while True:
                chunk = fresh.recv(4096)
                if not chunk:
                    break
                answer += chunk
        except OSError as error:
            result["fresh_error"] = str(error)
        result["fresh_answered"] = answer.startswith(b"HTTP/1.1 200") and answer.endswith(b"app")
        result["fresh_told_to_close"] = b"\r\nconnection: close\r\n" in answer.lower()
        try:
            while True:
                chunk = stream.recv(4096)
                if not chunk:
                    break
                data += chunk
            result["stream_closed"] = True
        except OSError as error:
            result["stream_closed"] = False
            result["stream_error"] = str(error)
        result["stream_complete"] = b"data: 9" in data and data.endswith(b"0\r\n\r\n")
        result["stream_closed_after"] = time.monotonic() - started
        try:
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
            result["refused"] = False
        except OSError:
            result["refused"] = True
        print(json.dumps(result))
        """#
}
