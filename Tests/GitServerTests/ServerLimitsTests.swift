import Foundation
import GitServer
import Glibc
import InternalAPIClient
import Logging
import PlatformConfig
import ServiceLifecycle
import Systemd
import Testing

@Suite("Host keys and connection limits")
struct ServerLimitsTests {
    @Test("host keys are generated once (0700 directory, 0600 files) and the same keys serve after a restart")
    func hostKeysPersist() async throws {
        let directory = "/tmp/paastech-hostkeys-\(UUID().uuidString.prefix(8).lowercased())"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = PlatformConfiguration()
        configuration.paths.stateDirectory = directory + "/state"
        configuration.paths.runDirectory = directory + "/run"

        var scans: [[String]] = []
        var fingerprints: [[String]] = []
        for _ in 0..<2 {
            let socket = try ListeningSocket.bindTCP(host: "127.0.0.1", port: 0)
            let port = try GitServerHarness.localPort(of: socket)
            let server = try GitSSHServer(configuration: configuration, listeningSocket: socket,
                                          api: InternalAPIClient(socketPath: configuration.paths.apiInternalSocket),
                                          logger: GitServerHarness.logger)
            fingerprints.append(server.hostKeyFingerprints)
            try await serve(server) {
                // -T 20: keyscan's default 5 s for both key exchanges was exceeded once, silently (status 1, no
                // output), while the other suites loaded both cores.
                let scan = try await CommandRunner.run("/usr/bin/ssh-keyscan", ["-T", "20", "-p", String(port), "-t", "ed25519,rsa", "127.0.0.1"],
                                                       environment: GitServerHarness.environment(home: directory))
                #expect(scan.status == 0, "\(scan)")
                // "[127.0.0.1]:PORT <type> <key>": the port differs between the two starts, the keys must not.
                scans.append(scan.stdout.split(separator: "\n").filter { !$0.hasPrefix("#") }
                    .map { $0.split(separator: " ").dropFirst().joined(separator: " ") }.sorted())
            }
        }
        #expect(scans[0].count == 2, "\(scans)")
        #expect(scans[0] == scans[1])
        #expect(fingerprints[0] == fingerprints[1])
        #expect(fingerprints[0].count == 2)
        #expect(fingerprints[0].allSatisfy { $0.hasPrefix("SHA256:") })
        #expect(scans[0].contains { $0.contains("ssh-ed25519 ") } && scans[0].contains { $0.contains("ssh-rsa ") })

        let keys = configuration.paths.gitHostKeysDirectory
        #expect(try mode(of: keys) == 0o700)
        #expect(try mode(of: keys + "/ssh_host_ed25519_key") == 0o600)
        #expect(try mode(of: keys + "/ssh_host_rsa_key") == 0o600)
    }

    @Test("max_connections, login_grace_seconds and max_auth_attempts are enforced")
    func limits() async throws {
        try await GitServerHarness.run({
            $0.git.maxConnections = 1
            $0.git.loginGraceSeconds = 3
            $0.git.maxAuthAttempts = 1
        }) { harness in
            // A client that connects and says nothing holds the only slot until the login grace is over.
            let idle = try TestSockets.connect(port: harness.port)
            defer { close(idle) }
            let started = ContinuousClock.now
            try await Task.sleep(for: .milliseconds(300))
            // OpenSSH shows the line sent instead of a version only in verbose mode, as a banner line.
            let rejected = try await harness.ssh(key: harness.alice.privateKey, ["-v"], command: ["ls"])
            #expect(rejected.status == 255, "\(rejected)")
            #expect(rejected.stderr.contains("banner line 0: paastech: too many connections; try again in a moment"), "\(rejected)")
            #expect(!rejected.stderr.contains("not allowed"), "\(rejected)")

            // The server hangs up on the idle client after the grace period.
            let (banner, closed) = try await TestSockets.readUntilClosed(idle, limit: .seconds(15))
            #expect(closed)
            #expect(ContinuousClock.now - started < .seconds(10))
            #expect(banner.hasPrefix("SSH-2.0-"), "\(banner)")

            // The slot is free again: this connection gets as far as the command.
            var admitted = try await harness.ssh(key: harness.alice.privateKey, command: ["ls"])
            for _ in 0..<20 where admitted.status == 255 {
                try await Task.sleep(for: .milliseconds(200))
                admitted = try await harness.ssh(key: harness.alice.privateKey, command: ["ls"])
            }
            #expect(admitted.status == 1, "\(admitted)")
            #expect(admitted.messages.first?.contains("command 'ls' is not allowed") == true, "\(admitted)")

            // One attempt allowed: an unknown key uses it up, so alice's key, offered second, is refused too
            // (without the limit it would authenticate).
            let tooMany = try await CommandRunner.run(
                "/usr/bin/ssh",
                harness.sshArguments(key: harness.strangerKey, ["-i", harness.alice.privateKey]) + ["git@127.0.0.1", "ls"],
                environment: GitServerHarness.environment(home: harness.directory))
            #expect(tooMany.status == 255, "\(tooMany)")
            #expect(tooMany.stderr.contains("Permission denied (publickey)") || tooMany.stderr.contains("too many authentication attempts"),
                    "\(tooMany)")
            let alone = try await harness.ssh(key: harness.alice.privateKey, command: ["ls"])
            #expect(alone.messages.first?.contains("command 'ls' is not allowed") == true, "\(alone)")
        }
    }

    private func serve(_ server: GitSSHServer, _ body: () async throws -> Void) async throws {
        let group = ServiceGroup(configuration: .init(services: [server], logger: GitServerHarness.logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            do {
                try await body()
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.next()
        }
    }

    private func mode(of path: String) throws -> mode_t {
        var status = stat()
        guard stat(path, &status) == 0 else { throw HarnessError("stat(\(path)) failed: errno \(errno)") }
        return status.st_mode & 0o7777
    }
}
