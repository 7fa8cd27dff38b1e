import Foundation
import Testing

@Suite("paastech dev", .serialized)
struct DevCommandTests {
    struct Summary {
        let raw: [String: Any]
        var apiURL: String { raw["api_url"] as? String ?? "" }
        var internalSocket: String { raw["api_internal_socket"] as? String ?? "" }
        var gitURL: String? { raw["git_url"] as? String }
        var admin: (String, String) {
            let admin = raw["admin"] as? [String: Any] ?? [:]
            return (admin["username"] as? String ?? "", admin["password"] as? String ?? "")
        }
    }

    /// Starts `paastech dev`, waits for dev.json and a healthy API, runs `body`, then Ctrl-C.
    /// Its own sandbox network, firewall table and cgroup subtree, and free ports: a dev platform or a
    /// production install on this machine is not disturbed, nor are other tests' sandboxes.
    func withDevPlatform(stateDirectory: URL, port: Int, sshPort: Int, _ body: (Summary) async throws -> Void) async throws {
        let binary = try Binary.path()
        let summaryFile = stateDirectory.appendingPathComponent("dev.json")
        try? FileManager.default.removeItem(at: summaryFile.appendingPathExtension("stale"))
        let started = Date()
        let dev = try RunningProcess(binary, ["dev", "--state-dir", stateDirectory.path, "--api-port", String(port),
                                              "--ssh-port", String(sshPort), "--sandbox-name", "ptdevtest", "--sandbox-subnet", "10.95.0.0/16"])
        let ready = try await eventually(timeout: .seconds(120)) {
            let modified = (try? FileManager.default.attributesOfItem(atPath: summaryFile.path)[.modificationDate] as? Date) ?? .distantPast
            guard modified >= started.addingTimeInterval(-1) else { return false }
            return try await curl(["http://127.0.0.1:\(port)/v1/health"]).0 == 200
        }
        #expect(ready, "dev log:\n\(dev.log)")
        guard ready else { dev.interrupt(); return }
        #expect(dev.log.contains("admin"), "prints the admin account for a person")
        let summary = Summary(raw: json(try String(contentsOf: summaryFile, encoding: .utf8)))
        do {
            try await body(summary)
        } catch {
            dev.interrupt()
            throw error
        }
        dev.interrupt()
        let status = await dev.waitForExit(timeout: .seconds(60))
        #expect(status == 0, "Ctrl-C shuts down cleanly; log:\n\(dev.log)")
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
