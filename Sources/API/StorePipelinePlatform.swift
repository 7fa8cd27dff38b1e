import Foundation
import Pipeline
import Store

/// The pipeline's view of the platform, straight from the store: what the API uses to run a rollback or a
/// configuration change itself (the hook uses the same protocol over the internal socket).
struct StorePipelinePlatform: PipelinePlatform {
    let store: PlatformStore

    func project(id: String) async throws -> PipelineProject {
        guard let uuid = UUID(uuidString: id), let project = try await store.project(uuid: uuid, for: .administrator) else {
            throw APIError.notFound("project")
        }
        return PipelineProject(id: project.uuid.uuidString.lowercased(), name: project.name, defaultBranch: project.defaultBranch)
    }

    func upsertDeployment(projectID: String, name: String) async throws -> PipelineDeployment {
        guard let uuid = UUID(uuidString: projectID) else { throw APIError.notFound("project") }
        return Self.pipelineDeployment(try await store.upsertDeployment(projectUUID: uuid, name: name))
    }

    func createRelease(deploymentID: String, commit: String, description: String, createdBy: String?) async throws -> PipelineRelease {
        guard let uuid = UUID(uuidString: deploymentID) else { throw APIError.notFound("deployment") }
        let release = try await store.createRelease(deploymentUUID: uuid, commitSHA: commit, description: description, createdBy: createdBy)
        return PipelineRelease(id: release.id, version: release.version)
    }

    func updateRelease(id: Int64, status: PipelineRelease.Status, buildLogPath: String?) async throws {
        guard let stored = ReleaseStatus(rawValue: status.rawValue) else { throw APIError.invalid("unknown release status \(status)") }
        _ = try await store.setReleaseStatus(id: id, status: stored, buildLogPath: buildLogPath)
    }

    static func pipelineDeployment(_ deployment: Deployment) -> PipelineDeployment {
        PipelineDeployment(id: deployment.uuid.uuidString.lowercased(), name: deployment.name, environment: deployment.config.env,
                           instances: deployment.config.instances, memoryMiB: deployment.config.memoryMB, cpu: deployment.config.cpu)
    }
}
