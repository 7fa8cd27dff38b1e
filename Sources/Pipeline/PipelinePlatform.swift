import Foundation

/// What the pipeline needs from the API (over its internal socket): the project, the deployments
/// it detected, and release rows. The API stays the only owner of the database.
public protocol PipelinePlatform: Sendable {
    func project(id: String) async throws -> PipelineProject
    /// Creates the deployment if it is new; returns it with its configuration (env, instances, memory, cpu).
    func upsertDeployment(projectID: String, name: String) async throws -> PipelineDeployment
    /// A new release row (status `building`) with the next version number.
    func createRelease(deploymentID: String, commit: String, description: String, createdBy: String?) async throws -> PipelineRelease
    func updateRelease(id: Int64, status: PipelineRelease.Status, buildLogPath: String?) async throws
}

public struct PipelineProject: Sendable, Equatable, Codable {
    public var id: String
    public var name: String
    public var defaultBranch: String

    public init(id: String, name: String, defaultBranch: String) {
        self.id = id
        self.name = name
        self.defaultBranch = defaultBranch
    }
}

public struct PipelineDeployment: Sendable, Equatable, Codable {
    public var id: String
    public var name: String
    public var environment: [String: String]
    public var instances: Int
    public var memoryMiB: Int
    public var cpu: Double

    public init(id: String, name: String, environment: [String: String], instances: Int, memoryMiB: Int, cpu: Double) {
        self.id = id
        self.name = name
        self.environment = environment
        self.instances = instances
        self.memoryMiB = memoryMiB
        self.cpu = cpu
    }
}

public struct PipelineRelease: Sendable, Equatable, Codable {
    public enum Status: String, Sendable, Codable {
        case building, built, deploying, live, failed
    }

    public var id: Int64
    public var version: Int

    public init(id: Int64, version: Int) {
        self.id = id
        self.version = version
    }

    /// Pomegranate's name for it, and its directory's.
    public var name: String { "v\(version)" }
}
