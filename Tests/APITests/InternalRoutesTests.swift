import API
import Foundation
import Hummingbird
import Logging
import Prometheus
import ServiceLifecycle
import Store
import Systemd
import Testing

@Suite("The internal API on its Unix socket")
struct InternalRoutesTests {
    /// Serves the internal router on a real Unix socket and runs `body` with the socket path.
    func withInternalSocket(allowedUsers: [String], _ body: (TestPlatform, String) async throws -> Void) async throws {
        let platform = try await TestPlatform.make { $0.api.internalAllowedUsers = allowedUsers }
        let path = "/tmp/paastech-internal-\(UUID().uuidString.prefix(8)).sock"
        let fd = try ListeningSocket.bindUnix(path: path, mode: 0o660)
        defer { unlink(path) }
        let server = ActivatedHTTPServer(router: platform.controlPlane.internalRouter(metrics: PrometheusCollectorRegistry()),
                                         socket: fd, logger: Logger(label: "internal-test"))
        let group = ServiceGroup(configuration: .init(services: [server], logger: Logger(label: "internal-test")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            do {
                try await body(platform, path)
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.next()
        }
    }

    /// curl over the Unix socket (a real client process, so SO_PEERCRED sees its uid).
    func get(_ socket: String, _ path: String) async throws -> (Int, String) {
        let output = "/tmp/paastech-curl-\(UUID().uuidString.prefix(8)).out"
        let fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        defer { close(fd); unlink(output) }
        let curl = try ChildProcess.spawn(
            executable: "/usr/bin/curl",
            arguments: ["-s", "--max-time", "10", "-w", "\n%{http_code}", "--unix-socket", socket, "http://localhost\(path)"],
            environment: [:], passingFDs: [], output: fd)
        _ = await curl.waitForExit()
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        let newline = text.lastIndex(of: "\n") ?? text.startIndex
        return (Int(text[text.index(after: newline)...]) ?? 0, String(text[..<newline]))
    }

    @Test("an allowed uid looks up a key's owner; unknown fingerprints are 404")
    func allowedCaller() async throws {
        let me = String(cString: getpwuid(geteuid()).pointee.pw_name)
        try await withInternalSocket(allowedUsers: [me]) { platform, socket in
            let user = try await platform.store.createUser(username: "pusher", email: "p@example.com", passwordHash: "x")
            let key = try await platform.store.addSSHKey(userID: user.id, value: "ssh-ed25519 AAAA", fingerprint: "SHA256:ab/c+d",
                                                         keyType: "ssh-ed25519", comment: "")
            let (status, body) = try await get(socket, "/internal/v1/ssh-key-owner?fingerprint=SHA256:ab%2Fc%2Bd")
            #expect(status == 200, "\(body)")
            #expect(body.contains("\"username\":\"pusher\""))
            #expect(body.contains("\"key_id\":\(key.id)"))
            #expect(try await get(socket, "/internal/v1/ssh-key-owner?fingerprint=SHA256:unknown").0 == 404)
            #expect(try await get(socket, "/internal/v1/ssh-key-owner").0 == 400)
            let project = try await platform.store.createProject(userID: user.id, name: "site")
            let (found, projectBody) = try await get(socket, "/internal/v1/projects/pusher/site")
            #expect(found == 200)
            #expect(projectBody.contains(project.uuid.uuidString))
            #expect(try await get(socket, "/internal/v1/projects/someone-else/site").0 == 404)
            #expect(try await get(socket, "/v1/health").0 == 200)
            #expect(try await get(socket, "/metrics").0 == 200)
            // A disabled user's keys authenticate nothing.
            _ = try await platform.store.updateUser(id: user.id, isAdmin: nil, disabled: true)
            #expect(try await get(socket, "/internal/v1/ssh-key-owner?fingerprint=SHA256:ab%2Fc%2Bd").0 == 404)
        }
    }

    @Test("a uid not in internal_allowed_users is refused on every route")
    func refusedCaller() async throws {
        try await withInternalSocket(allowedUsers: ["nobody"]) { _, socket in
            for path in ["/internal/v1/ssh-key-owner?fingerprint=SHA256:x", "/internal/v1/projects/a/b", "/metrics", "/v1/health"] {
                let (status, body) = try await get(socket, path)
                #expect(status == 403, "\(path)")
                #expect(body.contains("\"forbidden\""))
            }
        }
    }
}
