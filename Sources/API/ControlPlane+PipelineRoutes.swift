import Foundation
import Hummingbird
import Store

/// The internal endpoints the deploy pipeline (`paastech hook pre-receive`, run by git as the git
/// user) uses: the pushed project, the deployments it detected, and its release rows.
extension ControlPlane {
    struct NewReleaseBody: Decodable {
        var commitSHA: String
        var description: String
        var createdBy: String?
        enum CodingKeys: String, CodingKey { case commitSHA = "commit_sha", description, createdBy = "created_by" }
    }

    struct ReleaseStatusBody: Decodable {
        var status: String
        var buildLogPath: String?
        enum CodingKeys: String, CodingKey { case status, buildLogPath = "build_log_path" }
    }

    func addPipelineRoutes(to internalV1: RouterGroup<APIRequestContext>) {
        internalV1.get("projects/by-id/:uuid") { _, context in
            guard let project = try await store.project(uuid: try context.uuidParameter(), for: .administrator) else {
                throw APIError.notFound("project")
            }
            return projectBody(project)
        }
        internalV1.put("project-deployments/:uuid/:name") { _, context in
            let projectUUID = try context.uuidParameter()
            guard let project = try await store.project(uuid: projectUUID, for: .administrator) else { throw APIError.notFound("project") }
            let deployment = try await store.upsertDeployment(projectUUID: projectUUID, name: try context.parameters.require("name"))
            return DeploymentBody(deployment, url: appURL(deployment, in: project))
        }
        internalV1.post("deployments/:uuid/releases") { request, context in
            let body = try await request.decodeJSON(NewReleaseBody.self, context: context)
            let release = try await store.createRelease(deploymentUUID: try context.uuidParameter(), commitSHA: body.commitSHA,
                                                        description: body.description, createdBy: body.createdBy)
            return EditedResponse(status: .created, response: ReleaseBody(release))
        }
        internalV1.patch("releases/:id") { request, context in
            let body = try await request.decodeJSON(ReleaseStatusBody.self, context: context)
            guard let status = ReleaseStatus(rawValue: body.status) else {
                throw APIError.invalid("status must be one of \(ReleaseStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard try await store.setReleaseStatus(id: try context.idParameter(), status: status, buildLogPath: body.buildLogPath) else {
                throw APIError.notFound("release")
            }
            return Response(status: .noContent)
        }
    }
}
