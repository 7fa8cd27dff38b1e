import Foundation
import HTTPTypes
import Store
import Testing

@Suite("Custom domains of deployments")
struct DomainRoutesTests {
    /// A verified user with a project and its `web` deployment: (token, `/v1/projects/<p>/deployments/<d>/domains`).
    static func projectWithDeployment(_ api: APIClient, user: String, project: String) async throws -> (String, String) {
        let token = try await api.signUpAndLogIn(user)
        let created = try await api.request(.post, "/v1/projects", token: token, json: ["name": project])
        #expect(created.status == .created, "\(created.body)")
        let uuid = try #require((created.json["uuid"] as? String).flatMap(UUID.init(uuidString:)))
        let deployment = try await api.platform.store.upsertDeployment(projectUUID: uuid, name: "web")
        return (token, "/v1/projects/\(uuid)/deployments/\(deployment.uuid)/domains")
    }

    @Test("added (normalised to lower case without the trailing dot), listed and deleted, with audit entries")
    func lifecycle() async throws {
        try await TestPlatform.make().withClient { api in
            let (alice, domains) = try await Self.projectWithDeployment(api, user: "alice", project: "shop")
            #expect(try await api.request(.get, domains, token: alice).items.isEmpty)

            let added = try await api.request(.post, domains, token: alice, json: ["hostname": " Shop.Example.COM. "])
            #expect(added.status == .created, "\(added.body)")
            #expect(added.json["hostname"] as? String == "shop.example.com")
            #expect(added.json["certificate_status"] as? String == "pending")
            #expect(added.json["certificate_expires_at"] == nil, "omitted until the edge reports a certificate")
            #expect(added.json["created_at"] is String)
            #expect(try await api.request(.post, domains, token: alice, json: ["hostname": "www.shop.example.com"]).status == .created)

            let listed = try await api.request(.get, domains, token: alice)
            #expect(listed.status == .ok)
            #expect(listed.items.map { $0["hostname"] as? String } == ["shop.example.com", "www.shop.example.com"])

            #expect(try await api.request(.delete, "\(domains)/SHOP.example.com", token: alice).status == .noContent)
            let gone = try await api.request(.delete, "\(domains)/shop.example.com", token: alice)
            #expect(gone.status == .notFound)
            #expect(gone.errorCode == "not_found")
            #expect(try await api.request(.delete, "\(domains)/never.example.com", token: alice).status == .notFound)
            #expect(try await api.request(.delete, "\(domains)/not%20a%20name", token: alice).status == .notFound)
            #expect(try await api.request(.get, domains, token: alice).items.map { $0["hostname"] as? String } == ["www.shop.example.com"])

            let admin = try await api.adminToken()
            let actions = try await api.request(.get, "/v1/admin/audit-log", token: admin).items
                .map { "\($0["action"] as? String ?? "") \($0["target"] as? String ?? "")" }
            #expect(actions.contains("domain.added shop.example.com"))
            #expect(actions.contains("domain.deleted shop.example.com"))
        }
    }

    @Test("each invalid or platform-owned name is 422 invalid_hostname naming the field; a malformed body is 400")
    func validation() async throws {
        try await TestPlatform.make().withClient { api in
            let (alice, domains) = try await Self.projectWithDeployment(api, user: "alice", project: "shop")
            let label63 = String(repeating: "a", count: 63)
            let longest = [label63, label63, label63, String(repeating: "d", count: 57) + ".com"].joined(separator: ".")
            #expect(longest.utf8.count == 253)
            let invalid = [
                "", "   ", "localhost", "shop", "not a name", "-shop.example.com", "shop-.example.com", "shop..example.com",
                ".example.com", "shop.example.c0m", "shop.example.c", "1.2.3.4", "shop_1.example.com", "ä.example.com",
                "*.example.com", "shop.*.example.com", "https://shop.example.com", "shop.example.com:8443", "shop.example.com/path",
                "user@shop.example.com", String(repeating: "a", count: 64) + ".example.com", "x" + longest,
                "'; DROP TABLE domains; --", "shop.example.com\u{0}",
                // the platform's own names
                "apps.localhost", "web.shop.apps.localhost", "shop.apps.localhost", "WEB.Other.Apps.Localhost.",
                "paastech.localhost", "console.paastech.localhost", "API.paastech.localhost",
            ]
            for hostname in invalid {
                let reply = try await api.request(.post, domains, token: alice, json: ["hostname": hostname])
                #expect(reply.status == .unprocessableContent, "\(hostname): \(reply.status) \(reply.body)")
                #expect(reply.errorCode == "invalid_hostname", "\(hostname)")
                let message = (reply.json["error"] as? [String: Any])?["message"] as? String ?? ""
                #expect(message.hasPrefix("hostname "), "\(hostname): \(message)")
            }
            for body: [String: Any] in [[:], ["hostname": 42], ["name": "shop.example.com"]] {
                let reply = try await api.request(.post, domains, token: alice, json: body)
                #expect(reply.status == .badRequest, "\(body)")
                #expect(reply.errorCode == "invalid_request")
            }
            #expect(try await api.request(.get, domains, token: alice).items.isEmpty, "nothing was stored")

            // The longest allowed name, international names in their ASCII form, names merely next to the platform's.
            for hostname in [longest, "xn--bcher-kva.example", "apps.localhost.example.com", "myapps.localhost", "console.example.com"] {
                let reply = try await api.request(.post, domains, token: alice, json: ["hostname": hostname])
                #expect(reply.status == .created, "\(hostname): \(reply.body)")
            }
        }
    }

    @Test("a name is unique across the platform (409 domain_taken); others get the 404 of a missing project; an admin may")
    func ownership() async throws {
        try await TestPlatform.make().withClient { api in
            let (alice, aliceDomains) = try await Self.projectWithDeployment(api, user: "alice", project: "shop")
            let (bob, bobDomains) = try await Self.projectWithDeployment(api, user: "bob", project: "blog")
            #expect(try await api.request(.post, aliceDomains, token: alice, json: ["hostname": "shop.example.com"]).status == .created)

            let taken = try await api.request(.post, bobDomains, token: bob, json: ["hostname": "SHOP.example.com"])
            #expect(taken.status == .conflict)
            #expect(taken.errorCode == "domain_taken")
            #expect(!taken.body.contains("alice") && !taken.body.contains("shop."), "the answer does not say who has it")
            #expect(try await api.request(.post, aliceDomains, token: alice, json: ["hostname": "shop.example.com"]).errorCode == "domain_taken")

            // Another deployment of the same project: still taken.
            let parts = aliceDomains.split(separator: "/")
            let projectUUID = try #require(UUID(uuidString: String(parts[2])))
            let worker = try await api.platform.store.upsertDeployment(projectUUID: projectUUID, name: "worker")
            let workerDomains = "/v1/projects/\(projectUUID)/deployments/\(worker.uuid)/domains"
            #expect(try await api.request(.post, workerDomains, token: alice, json: ["hostname": "shop.example.com"]).status == .conflict)

            // Bob sees nothing of alice's project, exactly as if it did not exist.
            let missingProject = aliceDomains.replacingOccurrences(of: projectUUID.uuidString, with: UUID().uuidString)
            let missing = try await api.request(.get, missingProject, token: alice)
            #expect(missing.status == .notFound)
            let foreign: [(HTTPRequest.Method, String, [String: Any]?)] = [
                (.get, aliceDomains, nil), (.post, aliceDomains, ["hostname": "bob.example.com"]),
                (.delete, "\(aliceDomains)/shop.example.com", nil),
            ]
            for (method, path, body) in foreign {
                let reply = try await api.request(method, path, token: bob, json: body)
                #expect(reply.status == .notFound, "\(method) \(path)")
                #expect(reply.errorCode == "not_found")
                #expect(NSDictionary(dictionary: reply.json) == NSDictionary(dictionary: missing.json), "\(method) \(path): \(reply.body)")
                #expect(try await api.request(method, path, json: body).status == .unauthorized, "anonymous")
            }
            // A deployment of another project under alice's project is no deployment of it.
            let bobDeployment = String(bobDomains.split(separator: "/")[4])
            let mixed = "/v1/projects/\(projectUUID)/deployments/\(bobDeployment)/domains"
            #expect(try await api.request(.get, mixed, token: alice).status == .notFound)
            #expect(try await api.request(.get, mixed, token: bob).status == .notFound)
            #expect(try await api.request(.get, "/v1/projects/\(projectUUID)/deployments/not-a-uuid/domains", token: alice).status == .notFound)
            #expect(try await api.request(.get, aliceDomains, token: alice).items.map { $0["hostname"] as? String } == ["shop.example.com"])

            // An administrator manages anyone's domains.
            let admin = try await api.adminToken()
            #expect(try await api.request(.get, aliceDomains, token: admin).items.map { $0["hostname"] as? String } == ["shop.example.com"])
            #expect(try await api.request(.post, aliceDomains, token: admin, json: ["hostname": "www.shop.example.com"]).status == .created)
            #expect(try await api.request(.delete, "\(aliceDomains)/shop.example.com", token: admin).status == .noContent)
            #expect(try await api.request(.get, aliceDomains, token: alice).items.map { $0["hostname"] as? String } == ["www.shop.example.com"])
            // The name is free again, for anyone.
            #expect(try await api.request(.post, bobDomains, token: bob, json: ["hostname": "shop.example.com"]).status == .created)
        }
    }

    @Test("deleting the project removes its domains")
    func cascade() async throws {
        try await TestPlatform.make().withClient { api in
            let (alice, domains) = try await Self.projectWithDeployment(api, user: "alice", project: "shop")
            #expect(try await api.request(.post, domains, token: alice, json: ["hostname": "shop.example.com"]).status == .created)
            let project = String(domains.split(separator: "/")[2])
            // Pomegranate does not run here: a project whose deployments were never deployed can be deleted.
            #expect(try await api.request(.delete, "/v1/projects/\(project)", token: alice).status == .noContent)
            #expect(try await api.platform.store.edgeHosts(appsDomain: "apps.localhost").isEmpty)
            let (bob, blog) = try await Self.projectWithDeployment(api, user: "bob", project: "blog")
            #expect(try await api.request(.post, blog, token: bob, json: ["hostname": "shop.example.com"]).status == .created)
        }
    }
}
