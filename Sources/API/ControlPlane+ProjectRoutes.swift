import Foundation
import Hummingbird
import Store

extension ControlPlane {
    struct ProjectRequest: Decodable { var name: String }
    struct ProjectPatchRequest: Decodable {
        var name: String?
        var defaultBranch: String?
        enum CodingKeys: String, CodingKey { case name, defaultBranch = "default_branch" }
    }
    struct DeploymentPatchRequest: Decodable {
        var env: [String: String]?
        var instances: Int?
        var memoryMB: Int?
        var cpu: Double?
        enum CodingKeys: String, CodingKey { case env, instances, memoryMB = "memory_mb", cpu }
    }

    func addProjectRoutes(to v1: RouterGroup<APIRequestContext>) {
        v1.get("projects") { _, context in
            ListBody(items: try await store.projects(for: try context.viewer()).map(projectBody))
        }

        v1.post("projects") { request, context in
            let user = try context.requireUser()
            guard user.emailVerified else {
                throw APIError(.forbidden, code: "email_unverified", "verify your e-mail address before creating projects")
            }
            let body = try await request.decodeJSON(ProjectRequest.self, context: context)
            let project = try await store.createProject(userID: user.id, name: body.name)
            do {
                try await agents.createRepository(projectID: project.uuid, defaultBranch: project.defaultBranch)
            } catch {
                // No repository, no project: the name stays free and nothing is half made.
                _ = try? await store.deleteProject(uuid: project.uuid, for: .user(user.id))
                throw error
            }
            await audit(context, "project.created", target: project.name)
            return EditedResponse(status: .created, response: projectBody(project))
        }

        v1.get("projects/:uuid") { _, context in
            projectBody(try await requireProject(context))
        }

        v1.patch("projects/:uuid") { request, context in
            let viewer = try context.viewer()
            let uuid = try context.uuidParameter()
            let body = try await request.decodeJSON(ProjectPatchRequest.self, context: context)
            guard let project = try await store.updateProject(uuid: uuid, for: viewer, name: body.name,
                                                              defaultBranch: body.defaultBranch) else {
                throw APIError.notFound("project")
            }
            if body.defaultBranch != nil {
                // Only HEAD of the bare repository follows (what `git clone` checks out); the pipeline asks
                // the API which branch deploys, so a failure here is logged, not fatal.
                do {
                    try await agents.createRepository(projectID: project.uuid, defaultBranch: project.defaultBranch)
                } catch {
                    logger.warning("could not move the repository's HEAD", metadata: ["project": "\(project.uuid)", "error": "\(error)"])
                }
            }
            await audit(context, "project.updated", target: project.name)
            return projectBody(project)
        }

        v1.delete("projects/:uuid") { _, context in
            let project = try await requireProject(context)
            let viewer = try context.viewer()
            // Apps first, then the repository, then the rows: a failure leaves the project there to delete again.
            // Pomegranate knows only deployments that were deployed, which takes a release.
            var deployed: [UUID] = []
            for deployment in try await store.deployments(projectUUID: project.uuid, for: viewer) ?? []
            where try await !(store.releases(deploymentUUID: deployment.uuid, for: viewer, limit: 1) ?? []).isEmpty {
                deployed.append(deployment.uuid)
            }
            try await agents.stopDeployments(deployed)
            try await agents.deleteRepository(projectID: project.uuid)
            guard try await store.deleteProject(uuid: project.uuid, for: viewer) else {
                throw APIError.notFound("project")
            }
            await audit(context, "project.deleted", target: project.name)
            return Response(status: .noContent)
        }

        v1.get("projects/:uuid/deployments") { _, context in
            let project = try await requireProject(context)
            let viewer = try context.viewer()
            var items: [DeploymentBody] = []
            for deployment in try await store.deployments(projectUUID: project.uuid, for: viewer) ?? [] {
                var body = DeploymentBody(deployment, url: appURL(deployment, in: project))
                body.latestRelease = try await store.releases(deploymentUUID: deployment.uuid, for: viewer, limit: 1)?.first.map(ReleaseBody.init)
                items.append(body)
            }
            return ListBody(items: items)
        }

        v1.get("deployments/:uuid") { _, context in
            let (deployment, project) = try await requireDeployment(context)
            var body = DeploymentBody(deployment, url: appURL(deployment, in: project))
            body.latestRelease = try await store.releases(deploymentUUID: deployment.uuid, for: try context.viewer(), limit: 1)?
                .first.map(ReleaseBody.init)
            return body
        }

        v1.patch("deployments/:uuid") { request, context in
            let (deployment, project) = try await requireDeployment(context)
            let body = try await request.decodeJSON(DeploymentPatchRequest.self, context: context)
            var config = deployment.config
            if let env = body.env { config.env = env }
            if let instances = body.instances { config.instances = instances }
            if let memory = body.memoryMB { config.memoryMB = memory }
            if let cpu = body.cpu { config.cpu = cpu }
            // A running deployment gets a new release from the same build, switched with zero downtime; a failed
            // one changes nothing (the stored configuration goes back too).
            var redeployed: RedeployBody?
            if config != deployment.config, let live = try await liveRelease(of: deployment) {
                redeployed = try await redeploy(deployment, base: live, reason: "configuration change",
                                                createdBy: context.authentication?.user.username, config: config)
            } else if try await store.updateDeploymentConfig(uuid: deployment.uuid, for: try context.viewer(), config: config) == nil {
                throw APIError.notFound("deployment")
            }
            guard let updated = try await store.deployment(uuid: deployment.uuid, for: try context.viewer()) else {
                throw APIError.notFound("deployment")
            }
            // Names of changed variables only: values may be secrets.
            let changedKeys = Set(config.env.keys).union(deployment.config.env.keys)
                .filter { config.env[$0] != deployment.config.env[$0] }.sorted()
            await audit(context, "deployment.config_changed", target: "\(project.name)/\(deployment.name)",
                        details: ["env_keys_changed": changedKeys.joined(separator: ",")])
            var answer = DeploymentBody(updated, url: appURL(updated, in: project))
            answer.release = redeployed?.release
            answer.output = redeployed?.output
            return answer
        }

        v1.get("deployments/:uuid/releases") { _, context in
            let viewer = try context.viewer()
            let uuid = try context.uuidParameter()
            guard let releases = try await store.releases(deploymentUUID: uuid, for: viewer) else {
                throw APIError.notFound("deployment")
            }
            return ListBody(items: releases.map(ReleaseBody.init))
        }
    }

    func requireProject(_ context: APIRequestContext) async throws -> Project {
        let viewer = try context.viewer()
        let uuid = try context.uuidParameter()
        guard let project = try await store.project(uuid: uuid, for: viewer) else { throw APIError.notFound("project") }
        return project
    }

    func requireDeployment(_ context: APIRequestContext) async throws -> (Deployment, Project) {
        let viewer = try context.viewer()
        let uuid = try context.uuidParameter()
        guard let deployment = try await store.deployment(uuid: uuid, for: viewer),
              let project = try await store.project(uuid: deployment.projectUUID, for: viewer) else {
            throw APIError.notFound("deployment")
        }
        return (deployment, project)
    }

    func projectBody(_ project: Project) -> ProjectBody {
        ProjectBody(project, gitHost: "\(configuration.git.remoteHost):\(configuration.git.remotePort)")
    }

    /// `https://<deployment>.<project>.<apps-domain>`, the name the edge routes.
    func appURL(_ deployment: Deployment, in project: Project) -> String {
        configuration.edge.url(host: "\(deployment.name).\(project.name).\(configuration.platform.appsDomain)")
    }
}
