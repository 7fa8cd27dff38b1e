import Foundation
import InternalAPIClient

/// ``PipelinePlatform`` over the API's internal socket: the pipeline never touches the database.
public struct InternalAPIPipelinePlatform: PipelinePlatform {
    let client: InternalAPIClient

    public init(socketPath: String) {
        client = InternalAPIClient(socketPath: socketPath)
    }

    public func project(id: String) async throws -> PipelineProject {
        let project = try await client.get("/internal/v1/projects/by-id/\(id)", as: InternalAPIClient.Project.self)
        return PipelineProject(id: project.idString, name: project.name, defaultBranch: project.defaultBranch)
    }

    struct DeploymentBody: Decodable {
        struct Config: Decodable {
            var env: [String: String]
            var instances: Int
            var memoryMB: Int
            var cpu: Double
            enum CodingKeys: String, CodingKey { case env, instances, memoryMB = "memory_mb", cpu }
        }
        var uuid: UUID
        var name: String
        var config: Config
    }

    public func upsertDeployment(projectID: String, name: String) async throws -> PipelineDeployment {
        let body = try await client.send("PUT", "/internal/v1/project-deployments/\(projectID)/\(name)",
                                         body: Optional<InternalAPIClient.NoContent>.none, as: DeploymentBody.self)
        return PipelineDeployment(id: body.uuid.uuidString.lowercased(), name: body.name, environment: body.config.env,
                                  instances: body.config.instances, memoryMiB: body.config.memoryMB, cpu: body.config.cpu)
    }

    struct ReleaseBody: Decodable {
        var id: Int64
        var version: Int
    }

    public func createRelease(deploymentID: String, commit: String, description: String, createdBy: String?) async throws -> PipelineRelease {
        var fields: [String: String] = ["commit_sha": commit, "description": description]
        fields["created_by"] = createdBy
        let body = try await client.send("POST", "/internal/v1/deployments/\(deploymentID)/releases", body: fields, as: ReleaseBody.self)
        return PipelineRelease(id: body.id, version: body.version)
    }

    public func updateRelease(id: Int64, status: PipelineRelease.Status, buildLogPath: String?) async throws {
        var fields = ["status": status.rawValue]
        fields["build_log_path"] = buildLogPath
        _ = try await client.send("PATCH", "/internal/v1/releases/\(id)", body: fields, as: InternalAPIClient.NoContent.self)
    }
}
