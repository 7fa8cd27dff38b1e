import Foundation
import Store
import Testing

@Suite("Custom domains in the store")
struct DomainStoreTests {
    @Test("host names are normalised to lower case without the trailing dot", arguments: [
        ("shop.example.com", "shop.example.com"), ("Shop.Example.COM", "shop.example.com"), ("shop.example.com.", "shop.example.com"),
        (" www.example.org ", "www.example.org"), ("xn--bcher-kva.example", "xn--bcher-kva.example"), ("a-b.c-d.io", "a-b.c-d.io"),
        ("1.example.com", "1.example.com"),
    ])
    func validHostnames(input: String, expected: String) throws {
        #expect(try Validation.hostname(input) == expected)
    }

    @Test("names the domains_hostname_format constraint refuses are rejected before SQL, naming the field", arguments: [
        "", ".", "localhost", "shop..example.com", "-a.example.com", "a-.example.com", "shop.example.c", "shop.example.c0m",
        "1.2.3.4", "*.example.com", "a_b.example.com", "ä.example.com", "\u{212A}ey.example.com", "http://a.example.com",
        "a.example.com:80", "a b.example.com", String(repeating: "a", count: 64) + ".example.com",
        String(repeating: "abcdefgh.", count: 28) + "com", "shop.example.com..",
    ])
    func invalidHostnames(input: String) throws {
        let error = try #require(throws: StoreError.self) { try Validation.hostname(input) }
        guard case .invalid(let field, let message) = error else { Issue.record("\(error)"); return }
        #expect(field == "hostname")
        #expect(message.hasPrefix("hostname "))
    }

    @Test("domains: scoped by owner, unique across the platform, cascade with the deployment")
    func ownershipAndConflicts() async throws {
        let store = try await freshStore()
        let alice = try await store.createUser(username: "alice", email: "a@example.com", passwordHash: "x")
        let mallory = try await store.createUser(username: "mallory", email: "m@example.com", passwordHash: "x")
        let project = try await store.createProject(userID: alice.id, name: "shop")
        let web = try await store.upsertDeployment(projectUUID: project.uuid, name: "web")

        #expect(try await store.addDomain(hostname: "shop.example.com", deploymentUUID: web.uuid, for: .user(mallory.id)) == nil)
        #expect(try await store.domains(deploymentUUID: web.uuid, for: .user(mallory.id)) == nil)
        let domain = try #require(try await store.addDomain(hostname: "Shop.Example.com", deploymentUUID: web.uuid, for: .user(alice.id)))
        #expect(domain.hostname == "shop.example.com")
        #expect(domain.certificateStatus == .pending)
        #expect(domain.certificateExpiresAt == nil)
        #expect(domain.deploymentUUID == web.uuid)

        let malloryProject = try await store.createProject(userID: mallory.id, name: "phish")
        let malloryWeb = try await store.upsertDeployment(projectUUID: malloryProject.uuid, name: "web")
        await #expect(throws: StoreError.conflict(field: "hostname",
                                                  message: "that host name is already attached to a deployment (custom domains are unique across the platform)")) {
            _ = try await store.addDomain(hostname: "SHOP.example.com.", deploymentUUID: malloryWeb.uuid, for: .user(mallory.id))
        }
        #expect(try await store.deleteDomain(hostname: "shop.example.com", deploymentUUID: web.uuid, for: .user(mallory.id)) == false)
        #expect(try await store.deleteDomain(hostname: "shop.example.com", deploymentUUID: malloryWeb.uuid, for: .user(mallory.id)) == false)
        #expect(try await store.domains(deploymentUUID: web.uuid, for: .administrator)?.map(\.hostname) == ["shop.example.com"])

        #expect(try await store.setCertificateStatus(hostname: "SHOP.example.com", status: .issued,
                                                     expiresAt: Date(timeIntervalSince1970: 1_900_000_000), error: nil))
        #expect(try await store.setCertificateStatus(hostname: "web.shop.apps.localhost", status: .issued, expiresAt: nil, error: nil) == false)
        #expect(try await store.setCertificateStatus(hostname: "'; DROP TABLE domains; --", status: .failed, expiresAt: nil, error: nil) == false)
        let issued = try #require(try await store.domains(deploymentUUID: web.uuid, for: .user(alice.id))?.first)
        #expect(issued.certificateStatus == .issued)
        #expect(issued.certificateExpiresAt == Date(timeIntervalSince1970: 1_900_000_000))
        #expect(try await store.setCertificateStatus(hostname: "shop.example.com", status: .failed, expiresAt: nil,
                                                     error: String(repeating: "e", count: 5000)))
        let failed = try #require(try await store.domains(deploymentUUID: web.uuid, for: .user(alice.id))?.first)
        #expect(failed.certificateStatus == .failed)
        #expect(failed.certificateExpiresAt == nil)
        #expect(failed.certificateError?.count == 1000)

        #expect(try await store.deleteProject(uuid: project.uuid, for: .user(alice.id)))
        #expect(try await store.edgeHosts(appsDomain: "apps.example.com").map(\.host) == ["phish.apps.example.com"],
                "the domain went with its deployment")
        #expect(try await store.addDomain(hostname: "shop.example.com", deploymentUUID: malloryWeb.uuid, for: .user(mallory.id)) != nil)
    }

    @Test("edge hosts: custom domains and the alias of single-deployment projects, sorted bytewise")
    func edgeHosts() async throws {
        let store = try await freshStore()
        let user = try await store.createUser(username: "owner", email: "o@example.com", passwordHash: "x")
        let zeta = try await store.createProject(userID: user.id, name: "zeta")
        let zetaWeb = try await store.upsertDeployment(projectUUID: zeta.uuid, name: "web")
        let alpha = try await store.createProject(userID: user.id, name: "alpha")
        let alphaWeb = try await store.upsertDeployment(projectUUID: alpha.uuid, name: "web")
        let alphaJobs = try await store.upsertDeployment(projectUUID: alpha.uuid, name: "jobs")
        _ = try await store.addDomain(hostname: "b-shop.example.com", deploymentUUID: alphaJobs.uuid, for: .administrator)
        _ = try await store.addDomain(hostname: "a.example.com", deploymentUUID: zetaWeb.uuid, for: .administrator)
        _ = try await store.addDomain(hostname: "b.example.com", deploymentUUID: alphaWeb.uuid, for: .administrator)

        #expect(try await store.edgeHosts(appsDomain: "apps.example.com") == [
            EdgeHost(host: "a.example.com", projectUUID: zeta.uuid, deploymentUUID: zetaWeb.uuid, kind: .custom),
            EdgeHost(host: "b-shop.example.com", projectUUID: alpha.uuid, deploymentUUID: alphaJobs.uuid, kind: .custom),
            EdgeHost(host: "b.example.com", projectUUID: alpha.uuid, deploymentUUID: alphaWeb.uuid, kind: .custom),
            EdgeHost(host: "zeta.apps.example.com", projectUUID: zeta.uuid, deploymentUUID: zetaWeb.uuid, kind: .project),
        ])
    }
}
