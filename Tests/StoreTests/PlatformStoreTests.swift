import DevPlatform
import Foundation
import Logging
import Postgres
import Store
import Testing

/// A migrated, empty database per test.
func freshStore() async throws -> PlatformStore {
    let database = PostgresClient(configuration: try await PostgresCluster.shared(), logger: Logger(label: "test"))
    try await Migrator(database: database, logger: Logger(label: "test")).migrate()
    return PlatformStore(database: database)
}

@Suite("PlatformStore queries")
struct PlatformStoreTests {
    @Test("unique usernames and e-mails (case-insensitive) are reported as conflicts naming the field")
    func userConflicts() async throws {
        let store = try await freshStore()
        _ = try await store.createUser(username: "alice", email: "alice@example.com", passwordHash: "h")
        await #expect(throws: StoreError.conflict(field: "username", message: "that username is taken")) {
            _ = try await store.createUser(username: "alice", email: "other@example.com", passwordHash: "h")
        }
        await #expect(throws: StoreError.self) {
            _ = try await store.createUser(username: "alice2", email: "ALICE@example.com", passwordHash: "h")
        }
    }

    @Test("names outside [a-z][a-z0-9-]{0,38} are rejected before SQL", arguments: [
        "", "Alice", "1abc", "a b", "a_b", "robert'); DROP TABLE users;--", "<script>alert(1)</script>",
        String(repeating: "a", count: 40), "ä",
    ])
    func invalidNames(name: String) async throws {
        #expect(throws: StoreError.self) { try Validation.name(name, field: "name") }
    }

    @Test("injection-shaped text is stored verbatim")
    func injectionIsData() async throws {
        let store = try await freshStore()
        let user = try await store.createUser(username: "bob", email: "bob@example.com", passwordHash: "x")
        let nasty = "'); DROP TABLE users; --"
        _ = try await store.createAPIToken(userID: user.id, name: nasty, tokenHash: "hash-1", expiresAt: nil)
        #expect(try await store.apiTokens(userID: user.id).map(\.name) == [nasty])
        #expect(try await store.users(search: "%").isEmpty, "LIKE wildcards in a search are literal")
        #expect(try await store.users(search: "bob").count == 1)
    }

    @Test("objects of another user read as absent")
    func ownership() async throws {
        let store = try await freshStore()
        let alice = try await store.createUser(username: "alice", email: "a@example.com", passwordHash: "x")
        let mallory = try await store.createUser(username: "mallory", email: "m@example.com", passwordHash: "x")
        let project = try await store.createProject(userID: alice.id, name: "shop")
        let deployment = try await store.upsertDeployment(projectUUID: project.uuid, name: "web")

        #expect(try await store.project(uuid: project.uuid, for: .user(mallory.id)) == nil)
        #expect(try await store.project(uuid: project.uuid, for: .user(alice.id))?.name == "shop")
        #expect(try await store.project(uuid: project.uuid, for: .administrator) != nil)
        #expect(try await store.deployment(uuid: deployment.uuid, for: .user(mallory.id)) == nil)
        #expect(try await store.deployments(projectUUID: project.uuid, for: .user(mallory.id)) == nil)
        #expect(try await store.updateProject(uuid: project.uuid, for: .user(mallory.id), name: "stolen", defaultBranch: nil) == nil)
        #expect(try await store.deleteProject(uuid: project.uuid, for: .user(mallory.id)) == false)
        #expect(try await store.updateDeploymentConfig(uuid: deployment.uuid, for: .user(mallory.id), config: .default) == nil)
        #expect(try await store.projects(for: .user(mallory.id)).isEmpty)
        #expect(try await store.deleteProject(uuid: project.uuid, for: .user(alice.id)))
        #expect(try await store.deployment(uuid: deployment.uuid, for: .administrator) == nil, "deployments cascade")
    }

    @Test("e-mail nonces are single-use and expire")
    func emailNonces() async throws {
        let store = try await freshStore()
        let user = try await store.createUser(username: "carol", email: "c@example.com", passwordHash: "x")
        try await store.setEmailNonce(userID: user.id, nonceHash: "n1", expiresAt: Date().addingTimeInterval(60))
        #expect(try await store.verifyEmail(nonceHash: "n1")?.emailVerified == true)
        #expect(try await store.verifyEmail(nonceHash: "n1") == nil, "reused")

        try await store.setEmailNonce(userID: user.id, nonceHash: "n2", expiresAt: Date().addingTimeInterval(-1))
        #expect(try await store.verifyEmail(nonceHash: "n2") == nil, "expired")

        try await store.setEmailNonce(userID: user.id, nonceHash: "n3", expiresAt: Date().addingTimeInterval(60),
                                      pendingEmail: "new@example.com")
        #expect(try await store.user(id: user.id)?.email == "c@example.com", "unchanged until verified")
        #expect(try await store.verifyEmail(nonceHash: "n3")?.email == "new@example.com")
    }

    @Test("password reset consumes the nonce and ends every session")
    func passwordReset() async throws {
        let store = try await freshStore()
        let user = try await store.createUser(username: "dave", email: "d@example.com", passwordHash: "old")
        try await store.createSession(userID: user.id, tokenHash: "s1", expiresAt: Date().addingTimeInterval(60),
                                      remoteAddress: "127.0.0.1", userAgent: "test")
        #expect(try await store.authenticateSession(tokenHash: "s1")?.user.id == user.id)
        #expect(try await store.setPasswordNonce(email: "D@example.com", nonceHash: "p1", expiresAt: Date().addingTimeInterval(60)) != nil)
        #expect(try await store.setPasswordNonce(email: "nobody@example.com", nonceHash: "p2", expiresAt: Date()) == nil)
        #expect(try await store.resetPassword(nonceHash: "p1", passwordHash: "new")?.id == user.id)
        #expect(try await store.resetPassword(nonceHash: "p1", passwordHash: "again") == nil)
        #expect(try await store.passwordHash(userID: user.id) == "new")
        #expect(try await store.authenticateSession(tokenHash: "s1") == nil)
    }

    @Test("disabled users and expired sessions authenticate nobody")
    func disabledAndExpired() async throws {
        let store = try await freshStore()
        let user = try await store.createUser(username: "erin", email: "e@example.com", passwordHash: "x")
        try await store.createSession(userID: user.id, tokenHash: "old", expiresAt: Date().addingTimeInterval(-1),
                                      remoteAddress: "", userAgent: "")
        #expect(try await store.authenticateSession(tokenHash: "old") == nil)
        try await store.createSession(userID: user.id, tokenHash: "live", expiresAt: Date().addingTimeInterval(60),
                                      remoteAddress: "", userAgent: "")
        #expect(try await store.deleteExpiredSessions() == 1)
        #expect(try await store.authenticateSession(tokenHash: "live")?.user.id == user.id, "live sessions stay")
        _ = try await store.createAPIToken(userID: user.id, name: "ci", tokenHash: "t1", expiresAt: nil)
        #expect(try await store.authenticateAPIToken(tokenHash: "t1")?.user.username == "erin")
        _ = try await store.updateUser(id: user.id, isAdmin: nil, disabled: true)
        #expect(try await store.authenticateAPIToken(tokenHash: "t1") == nil)
        #expect(try await store.keyOwner(fingerprint: "SHA256:none") == nil)
    }

    @Test("SSH key fingerprints are unique across the platform")
    func sshKeyUniqueness() async throws {
        let store = try await freshStore()
        let a = try await store.createUser(username: "frank", email: "f@example.com", passwordHash: "x")
        let b = try await store.createUser(username: "grace", email: "g@example.com", passwordHash: "x")
        let key = try await store.addSSHKey(userID: a.id, value: "ssh-ed25519 AAAA", fingerprint: "SHA256:abc", keyType: "ssh-ed25519", comment: "")
        await #expect(throws: StoreError.self) {
            _ = try await store.addSSHKey(userID: b.id, value: "ssh-ed25519 AAAA", fingerprint: "SHA256:abc", keyType: "ssh-ed25519", comment: "")
        }
        #expect(try await store.keyOwner(fingerprint: "SHA256:abc")?.user.username == "frank")
        #expect(try await store.deleteSSHKey(id: key.id, userID: b.id) == false)
        #expect(try await store.deleteSSHKey(id: key.id, userID: a.id))
    }

    @Test("deployment config is validated and merged into the JSON column")
    func deploymentConfig() async throws {
        let store = try await freshStore()
        let user = try await store.createUser(username: "heidi", email: "h@example.com", passwordHash: "x")
        let project = try await store.createProject(userID: user.id, name: "api")
        let deployment = try await store.upsertDeployment(projectUUID: project.uuid, name: "web")
        #expect(deployment.config == .default)
        var config = DeploymentConfig.default
        config.env = ["DATABASE_URL": "postgres://x", "MixedCase": "v"]
        config.instances = 3
        let updated = try await store.updateDeploymentConfig(uuid: deployment.uuid, for: .user(user.id), config: config)
        #expect(updated?.config == config)
        for bad in [["PORT": "1"], ["PAASTECH_X": "1"], ["1X": "1"], ["A-B": "1"]] {
            var invalid = config
            invalid.env = bad
            await #expect(throws: StoreError.self) {
                _ = try await store.updateDeploymentConfig(uuid: deployment.uuid, for: .user(user.id), config: invalid)
            }
        }
        var tooMany = config
        tooMany.instances = 21
        await #expect(throws: StoreError.self) {
            _ = try await store.updateDeploymentConfig(uuid: deployment.uuid, for: .user(user.id), config: tooMany)
        }
        #expect(try await store.upsertDeployment(projectUUID: project.uuid, name: "web").uuid == deployment.uuid)
    }

    @Test("the last enabled administrator can be neither demoted, disabled nor deleted, even concurrently")
    func lastAdministrator() async throws {
        let store = try await freshStore()
        let first = try await store.createUser(username: "root-a", email: "ra@example.com", passwordHash: "x", isAdmin: true)
        let second = try await store.createUser(username: "root-b", email: "rb@example.com", passwordHash: "x", isAdmin: true)
        async let demoteFirst = try? store.updateUser(id: first.id, isAdmin: false, disabled: nil)
        async let demoteSecond = try? store.updateUser(id: second.id, isAdmin: false, disabled: nil)
        let results = await [demoteFirst, demoteSecond]
        #expect(results.compactMap { $0 }.count == 1, "exactly one demotion may succeed")
        let remaining = try await store.users().filter(\.isAdmin)
        #expect(remaining.count == 1)
        let last = try #require(remaining.first)
        await #expect(throws: StoreError.self) { _ = try await store.updateUser(id: last.id, isAdmin: nil, disabled: true) }
        await #expect(throws: StoreError.self) { _ = try await store.deleteUser(id: last.id) }
        #expect(try await store.user(id: last.id)?.isAdmin == true)
    }
}
