import Foundation
import Testing

@Suite("paastech dev", .serialized)
struct DevCommandTests {
    /// Starts `paastech dev`, runs `body`, then Ctrl-C and checks that everything stopped.
    func withDevPlatform(stateDirectory: URL, port: Int, sshPort: Int, _ body: (DevPlatformRun.Summary) async throws -> Void) async throws {
        guard let dev = try await DevPlatformRun.start(stateDirectory: stateDirectory, apiPort: port, sshPort: sshPort,
                                                     sandboxName: "ptdevcmd", sandboxSubnet: "10.96.0.0/16") else { return }
        #expect(dev.process.log.contains("admin"), "prints the admin account for a person")
        do {
            try await body(dev.summary)
        } catch {
            _ = await dev.stop()
            throw error
        }
        let status = await dev.stop()
        #expect(status == 0, "Ctrl-C shuts down cleanly; log:\n\(dev.process.log)")
        #expect(!FileManager.default.fileExists(atPath: stateDirectory.appendingPathComponent("postgres/data/postmaster.pid").path),
                "PostgreSQL stopped")
        #expect(try await curl(["http://127.0.0.1:\(port)/v1/health"]).0 == 0, "nothing listens any more")
    }

    @Test("brings up the API; the admin from dev.json logs in with curl and lists users; data survives a restart")
    func devPlatform() async throws {
        let state = try temporaryDirectory("dev")
        let port = try freePort()
        let sshPort = try freePort()
        var firstPassword = ""
        try await withDevPlatform(stateDirectory: state, port: port, sshPort: sshPort) { summary in
            #expect(summary.apiURL == "http://127.0.0.1:\(port)")
            if geteuid() == 0 { #expect(summary.gitURL == "ssh://git@127.0.0.1:\(sshPort)") }
            let (username, password) = summary.admin
            firstPassword = password
            let (status, body) = try await curl(["\(summary.apiURL)/v1/auth/login", "-H", "Content-Type: application/json",
                                           "-d", String(decoding: try JSONSerialization.data(withJSONObject: ["login": username, "password": password]), as: UTF8.self)])
            #expect(status == 200, "\(body)")
            let token = try #require(json(body)["token"] as? String)
            let (listed, users) = try await curl(["\(summary.apiURL)/v1/admin/users", "-H", "Authorization: Bearer \(token)"])
            #expect(listed == 200)
            #expect(users.contains("\"username\":\"admin\""))

            // Sign-up mail lands in the state directory.
            let (signedUp, _) = try await curl(["\(summary.apiURL)/v1/auth/signup", "-H", "Content-Type: application/json",
                                          "-d", #"{"username":"keeper","email":"keeper@example.com","password":"long enough pw"}"#])
            #expect(signedUp == 201)
            let mails = try FileManager.default.contentsOfDirectory(atPath: state.appendingPathComponent("mail").path)
            #expect(!mails.isEmpty)

            // The internal socket answers the platform's own daemons (root here) with metrics.
            let (metrics, text) = try await curl(["--unix-socket", summary.internalSocket, "http://localhost/metrics"])
            #expect(metrics == 200)
            #expect(text.contains("http_requests_total") || text.contains("# TYPE"), "\(text.prefix(500))")
            let (owner, _) = try await curl(["--unix-socket", summary.internalSocket, "http://localhost/internal/v1/ssh-key-owner?fingerprint=SHA256:nope"])
            #expect(owner == 404)
            // The internal routes are not on the public listener.
            #expect(try await curl(["\(summary.apiURL)/metrics"]).0 == 404)
            #expect(try await curl(["\(summary.apiURL)/internal/v1/ssh-key-owner?fingerprint=SHA256:x"]).0 == 404)
        }
        try await withDevPlatform(stateDirectory: state, port: port, sshPort: sshPort) { summary in
            #expect(summary.admin.1 == firstPassword, "the admin keeps its password")
            let (status, body) = try await curl(["\(summary.apiURL)/v1/auth/login", "-H", "Content-Type: application/json",
                                           "-d", #"{"login":"keeper","password":"long enough pw"}"#])
            #expect(status == 200, "the user signed up in the first run is still there: \(body)")
        }
    }
}
