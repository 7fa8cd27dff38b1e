import Foundation
import HTTPTypes
import Store
import Systemd
import Testing

/// Generates a real key pair with ssh-keygen and returns the public key line.
func generateSSHKey(type: String, bits: Int? = nil) throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("paastech-key-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let result = try ProgramRun("/usr/bin/ssh-keygen",
        ["-q", "-t", type, "-N", "", "-C", "test@host", "-f", directory.appendingPathComponent("id").path] + (bits.map { ["-b", String($0)] } ?? []),
        environment: ProcessInfo.processInfo.environment).runBlocking()
    try #require(result.exitCode == 0, "ssh-keygen failed: \(result)")
    return try String(contentsOf: directory.appendingPathComponent("id.pub"), encoding: .utf8)
}

@Suite("SSH keys, API tokens, projects, deployments")
struct ResourceRoutesTests {
    @Test("SSH keys: validated, listed with fingerprints, unique across users, deleted by their owner only")
    func sshKeys() async throws {
        try await TestPlatform.make().withClient { api in
            let alice = try await api.signUpAndLogIn("alice")
            let bob = try await api.signUpAndLogIn("bob")
            let key = try generateSSHKey(type: "ed25519")
            let added = try await api.request(.post, "/v1/ssh-keys", token: alice, json: ["key": key])
            #expect(added.status == .created, "\(added.body)")
            let fingerprint = try #require(added.json["fingerprint"] as? String)
            #expect(fingerprint.hasPrefix("SHA256:"))
            let listed = try await api.request(.get, "/v1/ssh-keys", token: alice)
            #expect(listed.items.map { $0["fingerprint"] as? String } == [fingerprint])

            let duplicate = try await api.request(.post, "/v1/ssh-keys", token: bob, json: ["key": key])
            #expect(duplicate.status == .conflict)
            for garbage in ["", "hello", "ssh-ed25519 !!!!", "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ== x"] {
                let reply = try await api.request(.post, "/v1/ssh-keys", token: alice, json: ["key": garbage])
                #expect(reply.status == .unprocessableContent, "\(garbage): \(reply.body)")
                #expect(reply.errorCode == "invalid_ssh_key")
            }
            let weak = try await api.request(.post, "/v1/ssh-keys", token: alice, json: ["key": try generateSSHKey(type: "rsa", bits: 2048)])
            #expect(weak.status == .unprocessableContent)
            #expect((weak.json["error"] as? [String: Any])?["message"] as? String ?? "" != "")
            #expect(try await api.request(.post, "/v1/ssh-keys", token: alice,
                                          json: ["key": try generateSSHKey(type: "rsa", bits: 3072)]).status == .created)

            let id = try #require(added.json["id"] as? Int)
            #expect(try await api.request(.delete, "/v1/ssh-keys/\(id)", token: bob).status == .notFound)
            #expect(try await api.request(.delete, "/v1/ssh-keys/\(id)", token: alice).status == .noContent)
            #expect(try await api.request(.delete, "/v1/ssh-keys/\(id)", token: alice).status == .notFound)
            #expect(try await api.request(.delete, "/v1/ssh-keys/not-a-number", token: alice).status == .notFound)
        }
    }

    @Test("API tokens are shown once, authenticate, and stop working when deleted")
    func apiTokens() async throws {
        try await TestPlatform.make().withClient { api in
            let session = try await api.signUpAndLogIn("carl")
            let other = try await api.signUpAndLogIn("dora")
            let created = try await api.request(.post, "/v1/tokens", token: session, json: ["name": "ci", "expires_in_days": 30])
            #expect(created.status == .created)
            let secret = try #require(created.json["token"] as? String)
            #expect(secret.hasPrefix("ptk_"))
            let listed = try await api.request(.get, "/v1/tokens", token: session)
            #expect(listed.items.count == 1)
            #expect(listed.items[0]["token"] == nil, "never shown again")
            #expect(!listed.body.contains(secret))
            #expect(try await api.request(.get, "/v1/me", token: secret).json["username"] as? String == "carl")
            #expect(try await api.request(.post, "/v1/tokens", token: session, json: ["name": ""]).status == .badRequest)
            #expect(try await api.request(.post, "/v1/tokens", token: session, json: ["name": "x", "expires_in_days": 0]).status == .badRequest)
            let id = try #require(created.json["id"] as? Int)
            #expect(try await api.request(.delete, "/v1/tokens/\(id)", token: other).status == .notFound)
            #expect(try await api.request(.delete, "/v1/tokens/\(id)", token: session).status == .noContent)
            #expect(try await api.request(.get, "/v1/me", token: secret).status == .unauthorized)
        }
    }

    @Test("projects: need a verified e-mail, names validated and unique, and invisible to other users")
    func projects() async throws {
        let platform = try await TestPlatform.make()
        try await platform.withClient { api in
            let alice = try await api.signUpAndLogIn("alice")
            let mallory = try await api.signUpAndLogIn("mallory")
            _ = try await api.request(.post, "/v1/auth/signup", json: ["username": "newbie", "email": "newbie@example.com", "password": "long enough pw"])
            let unverified = try await api.logIn("newbie", password: "long enough pw")
            #expect(try await api.request(.post, "/v1/projects", token: unverified, json: ["name": "x"]).errorCode == "email_unverified")

            for bad in ["Shop", "-shop", "shop_1", "'; DROP TABLE projects; --", String(repeating: "s", count: 40)] {
                #expect(try await api.request(.post, "/v1/projects", token: alice, json: ["name": bad]).status == .badRequest, "\(bad)")
            }
            let created = try await api.request(.post, "/v1/projects", token: alice, json: ["name": "shop"])
            #expect(created.status == .created)
            #expect(created.json["git_remote"] as? String == "ssh://git@paastech.localhost:2222/alice/shop.git")
            let uuid = try #require(created.json["uuid"] as? String)
            #expect(try await api.request(.post, "/v1/projects", token: mallory, json: ["name": "shop"]).status == .conflict)

            // Every object endpoint answers 404 to another user, exactly as for a missing object.
            let project = try #require(UUID(uuidString: uuid))
            let deployment = try await platform.store.upsertDeployment(projectUUID: project, name: "web")
            let foreign: [(HTTPRequest.Method, String, [String: Any]?)] = [
                (.get, "/v1/projects/\(uuid)", nil),
                (.patch, "/v1/projects/\(uuid)", ["name": "stolen"]),
                (.delete, "/v1/projects/\(uuid)", nil),
                (.get, "/v1/projects/\(uuid)/deployments", nil),
                (.get, "/v1/deployments/\(deployment.uuid)", nil),
                (.patch, "/v1/deployments/\(deployment.uuid)", ["instances": 0]),
                (.get, "/v1/deployments/\(deployment.uuid)/releases", nil),
            ]
            for (method, path, body) in foreign {
                let reply = try await api.request(method, path, token: mallory, json: body)
                #expect(reply.status == .notFound, "\(method) \(path): \(reply.status)")
                #expect(reply.errorCode == "not_found")
                let missing = try await api.request(method, path.replacingOccurrences(of: uuid, with: UUID().uuidString)
                    .replacingOccurrences(of: deployment.uuid.uuidString, with: UUID().uuidString), token: alice, json: body)
                #expect(missing.status == .notFound)
            }
            #expect(try await api.request(.get, "/v1/projects/not-a-uuid", token: alice).status == .notFound)
            #expect(try await api.request(.get, "/v1/projects", token: mallory).items.isEmpty)

            let renamed = try await api.request(.patch, "/v1/projects/\(uuid)", token: alice, json: ["name": "store", "default_branch": "trunk"])
            #expect(renamed.json["name"] as? String == "store")
            #expect(renamed.json["default_branch"] as? String == "trunk")
            #expect(try await api.request(.patch, "/v1/projects/\(uuid)", token: alice, json: ["default_branch": "a..b"]).status == .badRequest)

            let deployments = try await api.request(.get, "/v1/projects/\(uuid)/deployments", token: alice)
            #expect(deployments.items.map { $0["name"] as? String } == ["web"])
            #expect(deployments.items.first?["url"] as? String == "https://web.store.apps.localhost", "the edge's defaults: HTTPS on 443")

            let patched = try await api.request(.patch, "/v1/deployments/\(deployment.uuid)", token: alice,
                                                json: ["env": ["GREETING": "hi", "EMPTY": ""], "instances": 2, "memory_mb": 512, "cpu": 0.5])
            #expect(patched.status == .ok, "\(patched.body)")
            let config = try #require(patched.json["config"] as? [String: Any])
            #expect(config["env"] as? [String: String] == ["GREETING": "hi", "EMPTY": ""])
            #expect(config["instances"] as? Int == 2)
            for bad: [String: Any] in [["env": ["PORT": "1"]], ["instances": 99], ["memory_mb": 1], ["cpu": 0], ["env": ["A B": "x"]]] {
                #expect(try await api.request(.patch, "/v1/deployments/\(deployment.uuid)", token: alice, json: bad).status == .badRequest, "\(bad)")
            }
            #expect(try await api.request(.get, "/v1/deployments/\(deployment.uuid)/releases", token: alice).items.isEmpty)

            #expect(try await api.request(.delete, "/v1/projects/\(uuid)", token: alice).status == .noContent)
            #expect(try await api.request(.get, "/v1/projects/\(uuid)", token: alice).status == .notFound)
        }
    }
}
