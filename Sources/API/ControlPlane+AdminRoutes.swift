import Foundation
import Hummingbird
import Store

extension ControlPlane {
    struct AdminUserPatchRequest: Decodable {
        var isAdmin: Bool?
        var disabled: Bool?
        enum CodingKeys: String, CodingKey { case isAdmin = "is_admin", disabled }
    }

    /// Admin routes answer 404 to everyone else (see `requireAdmin`), so their existence is not revealed.
    func addAdminRoutes(to admin: RouterGroup<APIRequestContext>) {
        admin.get("users") { request, context in
            _ = try context.requireAdmin()
            let search = request.uri.queryParameters.get("search").flatMap { $0.isEmpty ? nil : String($0.prefix(100)) }
            let limit = min(max(request.uri.queryParameters.get("limit", as: Int.self) ?? 100, 1), 1000)
            let offset = max(request.uri.queryParameters.get("offset", as: Int.self) ?? 0, 0)
            return ListBody(items: try await store.users(search: search, limit: limit, offset: offset).map(UserBody.init))
        }

        admin.patch("users/:id") { request, context in
            let admin = try context.requireAdmin()
            let id = try context.idParameter()
            let body = try await request.decodeJSON(AdminUserPatchRequest.self, context: context)
            // An administrator cannot lock themselves out: another administrator must do it.
            if id == admin.id, body.isAdmin == false || body.disabled == true {
                throw APIError(.conflict, code: "self_lockout", "you cannot demote or disable your own account")
            }
            guard let user = try await store.updateUser(id: id, isAdmin: body.isAdmin, disabled: body.disabled) else {
                throw APIError.notFound("user")
            }
            var details: [String: String] = [:]
            if let isAdmin = body.isAdmin { details["is_admin"] = String(isAdmin) }
            if let disabled = body.disabled { details["disabled"] = String(disabled) }
            await audit(context, "admin.user_updated", target: user.username, details: details)
            return UserBody(user)
        }

        admin.delete("users/:id") { _, context in
            let admin = try context.requireAdmin()
            let id = try context.idParameter()
            guard id != admin.id else { throw APIError(.conflict, code: "self_lockout", "you cannot delete your own account") }
            guard let user = try await store.user(id: id), try await store.deleteUser(id: id) else { throw APIError.notFound("user") }
            await audit(context, "admin.user_deleted", target: user.username)
            return Response(status: .noContent)
        }

        admin.get("projects") { _, context in
            _ = try context.requireAdmin()
            return ListBody(items: try await store.projects(for: .administrator).map(projectBody))
        }

        admin.get("audit-log") { request, context in
            _ = try context.requireAdmin()
            let limit = min(max(request.uri.queryParameters.get("limit", as: Int.self) ?? 200, 1), 1000)
            return ListBody(items: try await store.auditLog(limit: limit).map(AuditEntryBody.init))
        }
    }
}
