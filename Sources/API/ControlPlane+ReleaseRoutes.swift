import Foundation
import GRPCCore
import Hummingbird
import Pipeline
import Store
import Synchronization

/// Rollbacks, and configuration changes of a running deployment: both run an existing build again as a new
/// release, with the push's health check and zero-downtime switch (``DeployPipeline/redeploy``).
extension ControlPlane {
    struct RollbackRequest: Decodable {
        var releaseID: Int64
        enum CodingKeys: String, CodingKey { case releaseID = "release_id" }
    }

    /// A redeploy's new release and the pipeline's lines (what a push would have shown).
    struct RedeployBody: ResponseCodable {
        var release: ReleaseBody
        var output: [String]
    }

    func addReleaseRoutes(to v1: RouterGroup<APIRequestContext>) {
        v1.post("deployments/:uuid/rollback") { request, context in
            let (deployment, project) = try await requireDeployment(context)
            let body = try await request.decodeJSON(RollbackRequest.self, context: context)
            let viewer = try context.viewer()
            guard let target = try await store.release(id: body.releaseID, for: viewer), target.deploymentUUID == deployment.uuid else {
                throw APIError.notFound("release")
            }
            guard [.live, .superseded].contains(target.status) else {
                throw APIError(.conflict, code: "not_deployable", "v\(target.version) is \(target.status.rawValue): only a release that went live can be rolled back to")
            }
            // The rollback brings back the code and the configuration of then; the deployment's settings follow.
            let result = try await redeploy(deployment, base: target, reason: "rollback to v\(target.version)",
                                            createdBy: context.authentication?.user.username, config: target.config)
            await audit(context, "deployment.rolled_back", target: "\(project.name)/\(deployment.name)",
                        details: ["to": "v\(target.version)", "release": "v\(result.release.version)"])
            return result
        }

        // A restart: the serving build and configuration start as a new release next to the old one, which
        // retires once the new one is healthy (zero downtime, like every deploy).
        v1.post("deployments/:uuid/restart") { _, context in
            let (deployment, project) = try await requireDeployment(context)
            guard let live = try await store.releases(deploymentUUID: deployment.uuid, for: try context.viewer())?.first(where: { $0.status == .live }) else {
                throw APIError(.conflict, code: "not_running", "\(deployment.name) has no live release to restart: push first")
            }
            let result = try await redeploy(deployment, base: live, reason: "restart of v\(live.version)",
                                            createdBy: context.authentication?.user.username, config: deployment.config)
            await audit(context, "deployment.restarted", target: "\(project.name)/\(deployment.name)",
                        details: ["release": "v\(result.release.version)"])
            return result
        }
    }

    /// Runs `base`'s build again with `config` as a new release. The deployment's stored configuration is
    /// `config` while it runs and afterwards, or back to what it was if the new release does not go live.
    /// - Throws: ``APIError``: 422 `deploy_failed` (the previous release keeps serving), 409 when the build
    ///   was pruned, 503 when Pomegranate is unreachable.
    func redeploy(_ deployment: Deployment, base: Release, reason: String, createdBy: String?,
                  config: DeploymentConfig) async throws -> RedeployBody {
        let lines = LineCollector()
        let pipeline = DeployPipeline(platform: StorePipelinePlatform(store: store), settings: PipelineSettings(configuration),
                                      output: PipelineOutput(sink: { lines.append($0) }))
        let deploymentID = deployment.uuid.uuidString.lowercased()
        let baseSpec: ReleaseSpecification
        do {
            baseSpec = try pipeline.specification(deploymentID: deploymentID, deploymentName: deployment.name, release: "v\(base.version)")
        } catch let error as PipelineError {
            throw APIError(.conflict, code: "build_missing", error.description)
        }
        _ = try await store.updateDeploymentConfig(uuid: deployment.uuid, for: .administrator, config: config)
        do {
            // The new row snapshots the configuration just stored.
            let release = try await store.createRelease(deploymentUUID: deployment.uuid, commitSHA: base.commitSHA,
                                                        description: reason, createdBy: createdBy)
            _ = try await pipeline.redeploy(baseSpec, as: PipelineRelease(id: release.id, version: release.version), reason: reason) { spec in
                spec.environment = config.env
                spec.instances = config.instances
                spec.memoryMiB = config.memoryMB
                spec.cpu = config.cpu
            }
            let live = try await store.release(id: release.id, for: .administrator) ?? release
            return RedeployBody(release: ReleaseBody(live), output: lines.lines)
        } catch {
            _ = try? await store.updateDeploymentConfig(uuid: deployment.uuid, for: .administrator, config: deployment.config)
            switch error {
            case let error as PipelineError:
                throw APIError(.unprocessableContent, code: "deploy_failed", error.description)
            case let error as RPCError:
                throw APIError(.serviceUnavailable, code: "agent_unavailable", "Pomegranate did not run the release (\(error.code): \(error.message)); nothing changed")
            default:
                throw error
            }
        }
    }

    /// The release serving the deployment, if any.
    func liveRelease(of deployment: Deployment) async throws -> Release? {
        try await store.releases(deploymentUUID: deployment.uuid, for: .administrator)?.first { $0.status == .live }
    }
}

/// Lines written by a pipeline running inside a request.
final class LineCollector: Sendable {
    private let storage = Mutex<[String]>([])
    func append(_ line: String) { storage.withLock { $0.append(line) } }
    var lines: [String] { storage.withLock { $0 } }
}
