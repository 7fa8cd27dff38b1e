import Foundation
import Hummingbird

/// A deployment: its configuration (environment editor, instances, memory, CPU; saving redeploys with
/// zero downtime), custom domains with their certificates, and release history with rollback.
extension WebConsole {
    func addDeploymentPages(to router: Router<ConsoleRequestContext>) {
        router.get("deployments/:uuid") { request, context in
            guard context.user != nil else { return context.signInRedirect(request) }
            guard let uuid = Self.uuid(context) else { return notFound(context) }
            return try await deploymentPage(uuid, context)
        }
        router.post("deployments/:uuid/config") { request, context in
            guard context.user != nil else { return context.signInRedirect(request) }
            guard let uuid = Self.uuid(context) else { return notFound(context) }
            let pairs = try await request.formPairs(context: context)
            let form = pairs.reduce(into: [String: String]()) { $0[$1.0] = $1.1 }
            // Rows of the editor: env_name / env_value pairs in order; an empty name drops the row.
            let names = pairs.filter { $0.0 == "env_name" }.map { $0.1.trimmingCharacters(in: .whitespaces) }
            let values = pairs.filter { $0.0 == "env_value" }.map(\.1)
            var environment: [String: String] = [:]
            for (name, value) in zip(names, values) where !name.isEmpty { environment[name] = value }
            var body: [String: Any] = ["env": environment]
            for (field, key) in [("instances", "instances"), ("memory_mb", "memory_mb")] {
                guard let text = form[field], !text.isEmpty else { continue }
                guard let number = Int(text) else {
                    return try await deploymentPage(uuid, context, status: .unprocessableContent, problem: "\(field): a whole number, please.")
                }
                body[key] = number
            }
            if let text = form["cpu"], !text.isEmpty {
                guard let cores = Double(text) else {
                    return try await deploymentPage(uuid, context, status: .unprocessableContent, problem: "cpu: a number of cores, e.g. 0.5.")
                }
                body["cpu"] = cores
            }
            let reply = try await call(.PATCH, "/deployments/\(uuid)", context, body: body, timeout: .seconds(180))
            guard reply.succeeded else {
                return try await deploymentPage(uuid, context, status: .init(code: reply.status), problem: reply.errorMessage)
            }
            let output = reply.json["output"] as? [String] ?? []
            return try await deploymentPage(uuid, context, notice: output.isEmpty ? "Saved." : "Saved and redeployed.", output: output)
        }
        router.post("deployments/:uuid/rollback") { request, context in
            guard context.user != nil else { return context.signInRedirect(request) }
            guard let uuid = Self.uuid(context) else { return notFound(context) }
            let form = try await request.formFields(context: context)
            guard let release = form["release_id"].flatMap(Int64.init) else { return notFound(context) }
            let reply = try await call(.POST, "/deployments/\(uuid)/rollback", context, body: ["release_id": release], timeout: .seconds(180))
            guard reply.succeeded else {
                return try await deploymentPage(uuid, context, status: .init(code: reply.status), problem: reply.errorMessage)
            }
            return try await deploymentPage(uuid, context, notice: "Rolled back.", output: reply.json["output"] as? [String] ?? [])
        }
        router.post("deployments/:uuid/restart") { request, context in
            guard context.user != nil else { return context.signInRedirect(request) }
            guard let uuid = Self.uuid(context) else { return notFound(context) }
            let reply = try await call(.POST, "/deployments/\(uuid)/restart", context, timeout: .seconds(180))
            guard reply.succeeded else {
                return try await deploymentPage(uuid, context, status: .init(code: reply.status), problem: reply.errorMessage)
            }
            return try await deploymentPage(uuid, context, notice: "Restarted.", output: reply.json["output"] as? [String] ?? [])
        }
        router.post("deployments/:uuid/domains") { request, context in
            guard context.user != nil else { return context.signInRedirect(request) }
            guard let uuid = Self.uuid(context) else { return notFound(context) }
            let form = try await request.formFields(context: context)
            let deployment = try await call(.GET, "/deployments/\(uuid)", context)
            guard deployment.succeeded, let project = (deployment.json["project_uuid"] as? String)?.lowercased() else { return notFound(context) }
            let path = "/projects/\(project)/deployments/\(uuid)/domains"
            let reply: ConsoleAPI.Reply
            if let removed = form["remove"] {
                reply = try await call(.DELETE, path + "/" + Self.pathComponent(removed), context)
            } else {
                reply = try await call(.POST, path, context, body: ["hostname": form["hostname"] ?? ""])
            }
            guard reply.succeeded else {
                return try await deploymentPage(uuid, context, status: .init(code: reply.status), problem: reply.errorMessage)
            }
            return Self.redirect(to: "/deployments/\(uuid)")
        }
    }

    func deploymentPage(_ uuid: String, _ context: ConsoleRequestContext, status: HTTPResponse.Status = .ok, notice: String? = nil,
                        problem: String? = nil, output: [String] = []) async throws -> Response {
        let deployment = try await call(.GET, "/deployments/\(uuid)", context)
        guard deployment.succeeded, let project = (deployment.json["project_uuid"] as? String)?.lowercased() else { return notFound(context) }
        let projectBody = try await call(.GET, "/projects/\(project)", context)
        let releases = try await call(.GET, "/deployments/\(uuid)/releases", context).items
        let serving = releases.first { $0["status"] as? String == "live" }?["id"] as? Int
        let releaseRows = releases.map { release -> [String: Any] in
            var row = release
            row["created"] = Self.shortDate(release["created_at"])
            row["commit"] = String((release["commit_sha"] as? String ?? "").prefix(8))
            row["by"] = release["created_by"] as? String ?? "—"
            let live = (release["id"] as? Int) == serving
            row["serving"] = live
            // Only a release that went live can come back, and not the one serving now.
            row["canRollBack"] = !live && ["live", "superseded", "rolled-back"].contains(release["status"] as? String ?? "")
            return row
        }
        let domains = try await call(.GET, "/projects/\(project)/deployments/\(uuid)/domains", context).items.map { domain -> [String: Any] in
            var row = domain
            row["expires"] = Self.shortDate(domain["certificate_expires_at"])
            return row
        }
        let runtime = try await call(.GET, "/deployments/\(uuid)/status", context)
        let instances = (runtime.json["instances"] as? [[String: Any]] ?? []).map { instance -> [String: Any] in
            var row = instance
            row["started"] = Self.shortDate(instance["started_at"])
            return row
        }
        let metrics = try await call(.GET, "/deployments/\(uuid)/metrics", context)
        let config = deployment.json["config"] as? [String: Any] ?? [:]
        let environment = (config["env"] as? [String: String] ?? [:]).sorted { $0.key < $1.key }.map { ["name": $0.key, "value": $0.value] }
        var values = deployment.json
        values["project"] = projectBody.json
        values["config"] = config
        values["env"] = environment
        values["releases"] = releaseRows
        values["domains"] = domains
        values["charts"] = Chart.deploymentCharts(metrics.json["minutes"] as? [[String: Any]] ?? [])
        values["state"] = runtime.succeeded ? runtime.json["state"] as? String ?? "unknown" : "unknown"
        if let sleepAfter = runtime.json["sleep_after_seconds"] as? Int, sleepAfter > 0 { values["sleepAfter"] = sleepAfter }
        values["instanceRows"] = instances
        values["noInstances"] = instances.isEmpty
        values["output"] = output
        values["hasOutput"] = !output.isEmpty
        return render("deployment", deployment.json["name"] as? String ?? "Deployment", values, context: context, status: status,
                      notice: notice, problem: problem)
    }
}
