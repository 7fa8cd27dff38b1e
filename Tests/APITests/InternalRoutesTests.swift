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
        try await send(socket, "GET", path)
    }

    /// curl over the Unix socket with `method` and, if any, `json` as the body.
    func send(_ socket: String, _ method: String, _ path: String, json: String? = nil) async throws -> (Int, String) {
        let output = "/tmp/paastech-curl-\(UUID().uuidString.prefix(8)).out"
        let fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        defer { close(fd); unlink(output) }
        let body = json.map { ["-H", "Content-Type: application/json", "--data-binary", $0] } ?? []
        let curl = try ChildProcess.spawn(
            executable: "/usr/bin/curl",
            arguments: ["-s", "--max-time", "10", "-w", "\n%{http_code}", "-X", method] + body
                + ["--unix-socket", socket, "http://localhost\(path)"],
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
            for path in ["/internal/v1/ssh-key-owner?fingerprint=SHA256:x", "/internal/v1/projects/a/b", "/internal/v1/edge/hosts",
                         "/metrics", "/v1/health"] {
                let (status, body) = try await get(socket, path)
                #expect(status == 403, "\(path)")
                #expect(body.contains("\"forbidden\""))
            }
            let report = try await send(socket, "PUT", "/internal/v1/edge/certificates/shop.example.com", json: #"{"status":"issued"}"#)
            #expect(report.0 == 403)
        }
    }

    @Test("the edge's hosts: every custom domain, and <project>.<apps_domain> only for single-deployment projects")
    func edgeHosts() async throws {
        let me = String(cString: getpwuid(geteuid()).pointee.pw_name)
        try await withInternalSocket(allowedUsers: [me]) { platform, socket in
            let empty = try await get(socket, "/internal/v1/edge/hosts")
            #expect(empty.0 == 200)
            #expect(try Self.hosts(empty.1).isEmpty)

            let store = platform.store
            let user = try await store.createUser(username: "owner", email: "o@example.com", passwordHash: "x")
            let solo = try await store.createProject(userID: user.id, name: "solo")
            let soloWeb = try await store.upsertDeployment(projectUUID: solo.uuid, name: "web")
            let duo = try await store.createProject(userID: user.id, name: "duo")
            _ = try await store.upsertDeployment(projectUUID: duo.uuid, name: "web")
            let duoWorker = try await store.upsertDeployment(projectUUID: duo.uuid, name: "worker")
            _ = try await store.createProject(userID: user.id, name: "bare")  // no deployment: no alias
            _ = try await store.addDomain(hostname: "shop.example.com", deploymentUUID: duoWorker.uuid, for: .administrator)
            _ = try await store.addDomain(hostname: "a.example.org", deploymentUUID: soloWeb.uuid, for: .administrator)

            let (status, body) = try await get(socket, "/internal/v1/edge/hosts")
            #expect(status == 200, "\(body)")
            func row(_ host: String, _ project: UUID, _ deployment: UUID, _ kind: String) -> [String: String] {
                ["host": host, "project_id": project.uuidString.lowercased(), "deployment_id": deployment.uuidString.lowercased(), "kind": kind]
            }
            #expect(try Self.hosts(body) == [
                row("a.example.org", solo.uuid, soloWeb.uuid, "custom"),
                row("shop.example.com", duo.uuid, duoWorker.uuid, "custom"),
                row("solo.apps.localhost", solo.uuid, soloWeb.uuid, "project"),
            ])
            // A second deployment takes the alias away (which one would it mean?).
            _ = try await store.upsertDeployment(projectUUID: solo.uuid, name: "worker")
            #expect(try Self.hosts(try await get(socket, "/internal/v1/edge/hosts").1).map { $0["host"] } == ["a.example.org", "shop.example.com"])
        }
    }

    @Test("certificate reports update the custom domain, which its owner sees; other hosts 404, bad values 422")
    func certificateReports() async throws {
        let me = String(cString: getpwuid(geteuid()).pointee.pw_name)
        try await withInternalSocket(allowedUsers: [me]) { platform, socket in
            try await platform.withClient { api in
                let (alice, domains) = try await DomainRoutesTests.projectWithDeployment(api, user: "alice", project: "shop")
                #expect(try await api.request(.post, domains, token: alice, json: ["hostname": "shop.example.com"]).status == .created)

                let issued = try await send(socket, "PUT", "/internal/v1/edge/certificates/shop.example.com",
                                            json: #"{"status": "issued", "expires_at": "2030-01-02T03:04:05Z"}"#)
                #expect(issued.0 == 204, "\(issued.1)")
                var listed = try #require(try await api.request(.get, domains, token: alice).items.first)
                #expect(listed["certificate_status"] as? String == "issued")
                #expect(listed["certificate_expires_at"] as? String == "2030-01-02T03:04:05Z")
                #expect(listed["certificate_error"] == nil)

                // Any case, fractional seconds and offsets; a failure says why.
                let failed = try await send(socket, "PUT", "/internal/v1/edge/certificates/SHOP.Example.com",
                                            json: #"{"status": "failed", "expires_at": null, "error": "DNS of shop.example.com does not point here"}"#)
                #expect(failed.0 == 204, "\(failed.1)")
                listed = try #require(try await api.request(.get, domains, token: alice).items.first)
                #expect(listed["certificate_status"] as? String == "failed")
                #expect(listed["certificate_expires_at"] == nil)
                #expect(listed["certificate_error"] as? String == "DNS of shop.example.com does not point here")
                let renewed = try await send(socket, "PUT", "/internal/v1/edge/certificates/shop.example.com",
                                             json: #"{"status": "issued", "expires_at": "2030-01-02T04:04:05.250+01:00"}"#)
                #expect(renewed.0 == 204, "\(renewed.1)")
                let deployment = try #require(UUID(uuidString: String(domains.split(separator: "/")[4])))
                let row = try #require(try await platform.store.domains(deploymentUUID: deployment, for: .administrator)?.first)
                #expect(row.certificateStatus == .issued)
                #expect(row.certificateError == nil)
                #expect(abs((row.certificateExpiresAt?.timeIntervalSince1970 ?? 0) - 1_893_553_445.25) < 0.01)

                // Generated names have certificates too, but no row to record them in.
                for host in ["web.shop.apps.localhost", "shop.apps.localhost", "other.example.com", "not%20a%20name"] {
                    let reply = try await send(socket, "PUT", "/internal/v1/edge/certificates/\(host)", json: #"{"status": "issued"}"#)
                    #expect(reply.0 == 404, "\(host): \(reply.1)")
                    #expect(reply.1.contains("\"not_found\""))
                }
                for bad in [#"{"status": "revoked"}"#, #"{"status": "issued", "expires_at": "tomorrow"}"#,
                            #"{"status": "issued", "expires_at": "2030-01-02"}"#] {
                    let reply = try await send(socket, "PUT", "/internal/v1/edge/certificates/shop.example.com", json: bad)
                    #expect(reply.0 == 422, "\(bad): \(reply.1)")
                    #expect(reply.1.contains("\"invalid_certificate_report\""))
                }
                #expect(try await send(socket, "PUT", "/internal/v1/edge/certificates/shop.example.com", json: "{}").0 == 400)
                #expect(try await api.request(.get, domains, token: alice).items.first?["certificate_status"] as? String == "issued",
                        "refused reports change nothing")
            }
        }
    }

    /// The `hosts` of `{"hosts": [...]}`.
    static func hosts(_ body: String) throws -> [[String: String]] {
        let object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        return try #require(object?["hosts"] as? [[String: String]], "\(body)")
    }
}
