import Foundation
import Hummingbird

/// The admin side: users (search, promote/demote, disable, delete), every project, the audit log.
/// Anyone but an administrator gets the same 404 as for a page that does not exist.
extension WebConsole {
    func addAdminPages(to router: Router<ConsoleRequestContext>) {
        router.get("admin") { _, context in
            context.isAdmin ? Self.redirect(to: "/admin/users") : notFound(context)
        }
        router.get("admin/users") { request, context in
            guard context.isAdmin else { return notFound(context) }
            return try await usersPage(context, search: request.uri.queryParameters.get("search"))
        }
        router.post("admin/users/:id") { request, context in
            guard context.isAdmin else { return notFound(context) }
            guard let id = context.parameters.get("id").flatMap(Int64.init) else { return notFound(context) }
            let form = try await request.formFields(context: context)
            let reply: ConsoleAPI.Reply
            switch form["action"] {
            case "promote": reply = try await call(.PATCH, "/admin/users/\(id)", context, body: ["is_admin": true])
            case "demote": reply = try await call(.PATCH, "/admin/users/\(id)", context, body: ["is_admin": false])
            case "disable": reply = try await call(.PATCH, "/admin/users/\(id)", context, body: ["disabled": true])
            case "enable": reply = try await call(.PATCH, "/admin/users/\(id)", context, body: ["disabled": false])
            case "delete":
                guard let username = form["username"], form["confirm"] == username else {
                    return try await usersPage(context, status: .unprocessableContent, problem: "Type the user's name to delete the account.")
                }
                reply = try await call(.DELETE, "/admin/users/\(id)", context, timeout: .seconds(120))
            default:
                return try await usersPage(context, status: .badRequest, problem: "Unknown action.")
            }
            guard reply.succeeded else { return try await usersPage(context, status: .init(code: reply.status), problem: reply.errorMessage) }
            return Self.redirect(to: "/admin/users")
        }
        router.get("admin/projects") { _, context in
            guard context.isAdmin else { return notFound(context) }
            let projects = try await call(.GET, "/admin/projects", context).items.map { project -> [String: Any] in
                var row = project
                row["created"] = Self.shortDate(project["created_at"])
                return row
            }
            return render("admin-projects", "All projects", ["projects": projects], context: context)
        }
        router.get("admin/platform") { _, context in
            guard context.isAdmin else { return notFound(context) }
            let platform = try await call(.GET, "/admin/platform", context)
            guard platform.succeeded else { return render("message", "Platform", ["heading": "Platform status", "text": platform.errorMessage], context: context) }
            var values = platform.json
            let host = platform.json["host"] as? [String: Any] ?? [:]
            func gibibytes(_ key: String) -> String { String(format: "%.1f GiB", Double(host[key] as? Int ?? 0) / 1_073_741_824) }
            values["memory"] = "\(gibibytes("memory_available_bytes")) available of \(gibibytes("memory_total_bytes"))"
            values["disk"] = "\(gibibytes("disk_free_bytes")) free of \(gibibytes("disk_total_bytes"))"
            values["load"] = (host["load_average"] as? [Double] ?? []).map { String(format: "%.2f", $0) }.joined(separator: " ")
            values["uptime"] = "\((host["uptime_seconds"] as? Int ?? 0) / 3600) h"
            values["healthy"] = (platform.json["services"] as? [[String: Any]] ?? []).allSatisfy { $0["status"] as? String == "ok" }
            return render("admin-platform", "Platform", values, context: context)
        }
        router.get("admin/audit") { _, context in
            guard context.isAdmin else { return notFound(context) }
            let entries = try await call(.GET, "/admin/audit-log", context).items.map { entry -> [String: Any] in
                var row = entry
                row["when"] = Self.shortDate(entry["at"])
                return row
            }
            return render("admin-audit", "Audit log", ["entries": entries], context: context)
        }
    }

    func usersPage(_ context: ConsoleRequestContext, search: String? = nil, status: HTTPResponse.Status = .ok,
                   problem: String? = nil) async throws -> Response {
        let query = search.map { "?search=" + Self.pathComponent($0) } ?? ""
        let me = context.user?["id"] as? Int
        let users = try await call(.GET, "/admin/users" + query, context).items.map { user -> [String: Any] in
            var row = user
            row["joined"] = Self.shortDate(user["created_at"])
            row["isMe"] = (user["id"] as? Int) == me
            return row
        }
        return render("admin-users", "Users", ["users": users, "search": search ?? ""], context: context, status: status, problem: problem)
    }
}
