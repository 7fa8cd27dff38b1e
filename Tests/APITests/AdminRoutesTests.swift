import Foundation
import HTTPTypes
import Testing

@Suite("Administration")
struct AdminRoutesTests {
    @Test("non-admins get 404 for every admin route")
    func hiddenFromUsers() async throws {
        try await TestPlatform.make().withClient { api in
            let user = try await api.signUpAndLogIn("plain")
            let me = try #require(try await api.request(.get, "/v1/me", token: user).json["id"] as? Int)
            let routes: [(HTTPRequest.Method, String, [String: Any]?)] = [
                (.get, "/v1/admin/users", nil), (.patch, "/v1/admin/users/\(me)", ["is_admin": true]),
                (.delete, "/v1/admin/users/\(me)", nil), (.get, "/v1/admin/projects", nil), (.get, "/v1/admin/audit-log", nil),
            ]
            for (method, path, body) in routes {
                #expect(try await api.request(method, path, token: user, json: body).status == .notFound, "\(path)")
                #expect(try await api.request(method, path, json: body).status == .notFound, "anonymous")
            }
            #expect(try await api.request(.get, "/v1/me", token: user).json["is_admin"] as? Bool == false)
        }
    }

    @Test("an admin lists, searches, promotes, disables and deletes users; disabling ends sessions and logins")
    func manageUsers() async throws {
        try await TestPlatform.make().withClient { api in
            let admin = try await api.adminToken()
            let victim = try await api.signUpAndLogIn("victim")
            let listed = try await api.request(.get, "/v1/admin/users", token: admin)
            #expect(Set(listed.items.compactMap { $0["username"] as? String }) == ["root-admin", "victim"])
            let search = try await api.request(.get, "/v1/admin/users?search=vic", token: admin)
            #expect(search.items.compactMap { $0["username"] as? String } == ["victim"])
            #expect(try await api.request(.get, "/v1/admin/users?search=%25", token: admin).items.isEmpty)
            let id = try #require(search.items.first?["id"] as? Int)

            let disabled = try await api.request(.patch, "/v1/admin/users/\(id)", token: admin, json: ["disabled": true])
            #expect(disabled.json["disabled"] as? Bool == true)
            #expect(try await api.request(.get, "/v1/me", token: victim).status == .unauthorized)
            let login = try await api.request(.post, "/v1/auth/login", json: ["login": "victim", "password": "correct horse battery"])
            #expect(login.errorCode == "account_disabled")
            _ = try await api.request(.patch, "/v1/admin/users/\(id)", token: admin, json: ["disabled": false, "is_admin": true])
            let promoted = try await api.logIn("victim")
            #expect(try await api.request(.get, "/v1/admin/projects", token: promoted).status == .ok)

            let adminID = try #require(try await api.request(.get, "/v1/me", token: admin).json["id"] as? Int)
            #expect(try await api.request(.patch, "/v1/admin/users/\(adminID)", token: admin, json: ["is_admin": false]).status == .conflict)
            #expect(try await api.request(.delete, "/v1/admin/users/\(adminID)", token: admin).status == .conflict)
            #expect(try await api.request(.delete, "/v1/admin/users/\(id)", token: admin).status == .noContent)
            #expect(try await api.request(.delete, "/v1/admin/users/\(id)", token: admin).status == .notFound)
            #expect(try await api.request(.patch, "/v1/admin/users/999999", token: admin, json: ["disabled": true]).status == .notFound)

            let audit = try await api.request(.get, "/v1/admin/audit-log", token: admin)
            let actions = audit.items.compactMap { $0["action"] as? String }
            for action in ["user.signup", "login.succeeded", "admin.user_updated", "admin.user_deleted"] {
                #expect(actions.contains(action), "audit log lacks \(action)")
            }
        }
    }

    @Test("an admin sees every user's projects")
    func allProjects() async throws {
        try await TestPlatform.make().withClient { api in
            let admin = try await api.adminToken()
            let alice = try await api.signUpAndLogIn("alice")
            _ = try await api.request(.post, "/v1/projects", token: alice, json: ["name": "alpha"])
            let all = try await api.request(.get, "/v1/admin/projects", token: admin)
            #expect(all.items.map { $0["owner"] as? String } == ["alice"])
            #expect(try await api.request(.get, "/v1/projects", token: admin).items.isEmpty, "the user list stays personal")
        }
    }

    @Test("health and the OpenAPI document")
    func meta() async throws {
        try await TestPlatform.make().withClient { api in
            let health = try await api.request(.get, "/v1/health")
            #expect(health.status == .ok)
            #expect(health.json["database"] as? String == "ok")
            let document = try await api.request(.get, "/v1/openapi.json")
            #expect(document.json["openapi"] as? String == "3.0.3")
            let paths = try #require(document.json["paths"] as? [String: Any])
            for path in ["/v1/auth/signup", "/v1/auth/login", "/v1/projects/{uuid}", "/v1/admin/users/{id}", "/v1/ssh-keys",
                         "/v1/projects/{uuid}/deployments/{deployment}/domains", "/internal/v1/edge/hosts"] {
                #expect(paths[path] != nil, "OpenAPI lacks \(path)")
            }
            let unknown = try await api.request(.get, "/v1/nope")
            #expect(unknown.status == .notFound)
            #expect(unknown.errorCode == "not_found")
        }
    }
}
