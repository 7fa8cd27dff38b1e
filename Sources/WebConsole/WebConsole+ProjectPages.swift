import Foundation
import Hummingbird

/// Projects: the list, creating one (with the git lines to copy), renaming, deleting (typed confirmation).
extension WebConsole {
    func addProjectPages(to router: Router<ConsoleRequestContext>) {
        router.get("projects") { request, context in
            guard context.user != nil else { return context.signInRedirect(request) }
            return try await projectList(context)
        }
        router.post("projects") { request, context in
            guard context.user != nil else { return context.signInRedirect(request) }
            let form = try await request.formFields(context: context)
            let reply = try await call(.POST, "/projects", context, body: ["name": form["name"] ?? ""])
            guard reply.succeeded, let uuid = reply.json["uuid"] as? String else {
                return try await projectList(context, status: .init(code: reply.status), problem: reply.errorMessage, name: form["name"])
            }
            return Self.redirect(to: "/projects/\(uuid.lowercased())?created=1")
        }
        router.get("projects/:uuid") { request, context in
            guard context.user != nil else { return context.signInRedirect(request) }
            guard let uuid = Self.uuid(context) else { return notFound(context) }
            let notice = request.uri.queryParameters.get("created") != nil ? "Project created: push your code to deploy it." : nil
            return try await projectPage(uuid, context, notice: notice)
        }
        router.post("projects/:uuid/rename") { request, context in
            guard context.user != nil else { return context.signInRedirect(request) }
            guard let uuid = Self.uuid(context) else { return notFound(context) }
            let form = try await request.formFields(context: context)
            let reply = try await call(.PATCH, "/projects/\(uuid)", context, body: ["name": form["name"] ?? ""])
            guard reply.succeeded else {
                return try await projectPage(uuid, context, status: .init(code: reply.status), problem: reply.errorMessage)
            }
            return Self.redirect(to: "/projects/\(uuid)")
        }
        router.post("projects/:uuid/delete") { request, context in
            guard context.user != nil else { return context.signInRedirect(request) }
            guard let uuid = Self.uuid(context) else { return notFound(context) }
            let form = try await request.formFields(context: context)
            let project = try await call(.GET, "/projects/\(uuid)", context)
            guard project.succeeded, let name = project.json["name"] as? String else { return notFound(context) }
            guard form["confirm"] == name else {
                return try await projectPage(uuid, context, status: .unprocessableContent,
                                             problem: "Type the project's name, \(name), to delete it.")
            }
            let reply = try await call(.DELETE, "/projects/\(uuid)", context, timeout: .seconds(120))
            guard reply.succeeded else { return try await projectPage(uuid, context, status: .init(code: reply.status), problem: reply.errorMessage) }
            return Self.redirect(to: "/projects?deleted=" + Self.pathComponent(name))
        }
    }

    func projectList(_ context: ConsoleRequestContext, status: HTTPResponse.Status = .ok, problem: String? = nil,
                     name: String? = nil) async throws -> Response {
        let projects = try await call(.GET, "/projects", context).items.map { project -> [String: Any] in
            var row = project
            row["created"] = Self.shortDate(project["created_at"])
            return row
        }
        return render("projects", "Projects", ["projects": projects, "empty": projects.isEmpty, "name": name ?? ""],
                      context: context, status: status, problem: problem)
    }

    func projectPage(_ uuid: String, _ context: ConsoleRequestContext, status: HTTPResponse.Status = .ok, notice: String? = nil,
                     problem: String? = nil) async throws -> Response {
        let project = try await call(.GET, "/projects/\(uuid)", context)
        guard project.succeeded else { return notFound(context) }
        var deployments: [[String: Any]] = []
        for deployment in try await call(.GET, "/projects/\(uuid)/deployments", context).items {
            var row = deployment
            // What runs now (running, sleeping, crashed, ...), next to what the last push or change did.
            if let id = deployment["uuid"] as? String {
                let runtime = try await call(.GET, "/deployments/\(id.lowercased())/status", context)
                row["state"] = runtime.succeeded ? runtime.json["state"] as? String ?? "unknown" : "unknown"
            }
            let release = deployment["latest_release"] as? [String: Any]
            row["version"] = (release?["version"] as? Int).map { "v\($0)" } ?? "not deployed"
            row["status"] = release?["status"] as? String ?? "waiting for a push"
            row["deployed"] = Self.shortDate(release?["created_at"])
            row["instances"] = (deployment["config"] as? [String: Any])?["instances"] ?? 0
            deployments.append(row)
        }
        var values = project.json
        values["deployments"] = deployments
        values["none"] = deployments.isEmpty
        return render("project", project.json["name"] as? String ?? "Project", values, context: context, status: status,
                      notice: notice, problem: problem)
    }
}
