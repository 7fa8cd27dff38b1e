import Foundation
import Glibc
import Sandbox
import Systemd
import Testing

@Suite("Sandboxes on the platform bridge", .serialized)
struct NetworkSandboxTests {
    /// An HTTP server in a bridged sandbox.
    func startServer(_ id: String) async throws -> RunningSandbox {
        var options = SandboxOptions(command: ["/usr/bin/python3", "-m", "http.server", "8000", "--bind", "0.0.0.0", "--directory", "/etc"],
                                     hostname: id, uid: 61000, gid: 61000, network: .bridged(egress: false))
        options.id = id
        let devNull = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { close(devNull) }
        options.stdio = [devNull, devNull, devNull]
        return try await SandboxHarness.runner.start(options)
    }

    func hostCanFetch(_ address: String) async -> Bool {
        for _ in 0..<100 {
            if let child = try? ChildProcess.spawn(executable: "/usr/bin/curl", arguments: ["-sf", "-o", "/dev/null", "--max-time", "1",
                                                                                              "http://\(address):8000/hostname"],
                                                  environment: [:], passingFDs: []),
               case .exited(0) = await child.waitForExit() {
                return true
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    @Test("the host reaches two sandboxes; they cannot reach each other, nor a host port that is not allowed")
    func isolation() async throws {
        let first = try await startServer("net-a")
        defer { first.signal(SIGKILL) }  // at once: a failure starting the second must not leave the first behind
        let second = try await startServer("net-b")
        defer { second.signal(SIGKILL) }
        let (a, b) = (try #require(first.address), try #require(second.address))
        #expect(a != b)
        #expect(a.hasPrefix("10.90."))
        #expect(await hostCanFetch(a))
        #expect(await hostCanFetch(b))

        // A listener on the host's bridge address, on a port no rule allows.
        let listener = try ChildProcess.spawn(
            executable: "/usr/bin/python3",
            arguments: ["-c", "import socket,time\ns=socket.socket()\ns.bind(('10.90.0.1',18999))\ns.listen()\ntime.sleep(15)"],
            environment: [:], passingFDs: [])
        defer { try? listener.signal(SIGKILL) }
        try await Task.sleep(for: .milliseconds(300))

        // Blocked means the packets went out and vanished (a timeout: dropped), not a broken probe: no route or
        // no interface fails at once (ENETUNREACH), a closed port is refused. Both servers answer the host above,
        // and the probe's own server answers the probe on its bridge address, so its network works.
        var probe = SandboxOptions(command: ["/usr/bin/python3", "-c", """
            import socket, threading
            own = socket.socket(); own.bind(('0.0.0.0', 8001)); own.listen()
            threading.Thread(target=lambda: own.accept(), daemon=True).start()
            route = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); route.connect(('10.90.0.1', 9))  # no packet sent
            for host, port in ((route.getsockname()[0], 8001), ('\(a)', 8000), ('10.90.0.1', 18999)):
                try:
                    socket.create_connection((host, port), timeout=1).close(); print(host, 'reached')
                except socket.timeout: print(host, 'blocked')
                except OSError as error: print(host, 'failed', error)
            """], hostname: "probe", uid: 61000, gid: 61000, network: .bridged(egress: true))
        probe.id = "net-probe"
        let result = try await SandboxHarness.run(probe)
        let lines = result.output.split(separator: "\n").map(String.init)
        #expect(lines.count == 3 && lines[0].hasPrefix("10.90.") && lines[0].hasSuffix(" reached"), "\(result.output) \(result.exit)")
        #expect(lines.contains("\(a) blocked"), "\(result.output) \(result.exit)")
        #expect(lines.contains("10.90.0.1 blocked"), "\(result.output)")

        let (status, table) = try await Self.output(["/usr/sbin/nft", "list", "table", "inet", "paastechsandboxtest"])
        #expect(status == 0)
        #expect(table.contains("masquerade"), "\(table)")
        first.signal(SIGTERM)
        second.signal(SIGTERM)
        _ = await first.waitForExit()
        _ = await second.waitForExit()
    }

    static func output(_ argv: [String]) async throws -> (Int32, String) {
        let path = "/tmp/paastech-out-\(UUID().uuidString.prefix(8))"
        let fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        defer { close(fd); unlink(path) }
        let child = try ChildProcess.spawn(executable: argv[0], arguments: Array(argv.dropFirst()), environment: [:],
                                           passingFDs: [], output: fd)
        guard case .exited(let code) = await child.waitForExit() else { return (-1, "") }
        return (code, (try? String(contentsOfFile: path, encoding: .utf8)) ?? "")
    }
}
