import AsyncHTTPClient
import Foundation
import InternalAPIClient
import NIOCore

/// ``PipelinePlatform`` over the API's internal socket: the pipeline never touches the database.
public struct InternalAPIPipelinePlatform: PipelinePlatform {
    let client: InternalAPIClient
    let socketPath: String

    public init(socketPath: String) {
        self.socketPath = socketPath
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
        let body = try await send("PUT", "/internal/v1/project-deployments/\(projectID)/\(name)", body: nil, as: DeploymentBody.self)
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
        let body = try await send("POST", "/internal/v1/deployments/\(deploymentID)/releases", body: fields, as: ReleaseBody.self)
        return PipelineRelease(id: body.id, version: body.version)
    }

    public func updateRelease(id: Int64, status: PipelineRelease.Status, buildLogPath: String?) async throws {
        var fields = ["status": status.rawValue]
        fields["build_log_path"] = buildLogPath
        _ = try await send("PATCH", "/internal/v1/releases/\(id)", body: fields, as: Empty?.self)
    }

    struct Empty: Decodable {}

    /// A JSON request over the Unix socket; the API's error message becomes the thrown error.
    func send<Response: Decodable>(_ method: String, _ path: String, body: [String: String]?, as type: Response.Type) async throws -> Response {
        guard let url = URL(httpURLWithSocketPath: socketPath, uri: path) else { throw PipelineError.platform("bad API socket path \(socketPath)") }
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .init(rawValue: method)
        request.headers.add(name: "Accept", value: "application/json")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: try JSONEncoder().encode(body)))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let data = Data(buffer: try await response.body.collect(upTo: 1 << 20))
        guard (200..<300).contains(response.status.code) else {
            throw PipelineError.platform("the API refused \(method) \(path): HTTP \(response.status.code) \(String(decoding: data.prefix(300), as: UTF8.self))")
        }
        if data.isEmpty, let none = Optional<Empty>.none as? Response { return none }
        return try JSONDecoder().decode(Response.self, from: data)
    }
}
