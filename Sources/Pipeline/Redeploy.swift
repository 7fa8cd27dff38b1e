import Foundation
import PomegranateRPC

extension DeployPipeline {
    /// Runs an existing build again as a new release, without receiving or building anything: a rollback
    /// (an earlier release, code and configuration as they were) or a configuration change (the serving
    /// release with new settings). The same stages and zero-downtime switch as a push:
    ///
    ///     release → deploy → health-check → switch → retire
    ///
    /// - Parameters:
    ///   - base: The release whose build runs.
    ///   - release: The new release row (status `building`); it ends `live` or `failed`.
    ///   - adjust: Changes to the configuration (environment, instances, memory, cpu).
    /// - Returns: The new release's specification, now serving.
    public func redeploy(_ base: ReleaseSpecification, as release: PipelineRelease, reason: String,
                         adjusting adjust: (inout ReleaseSpecification) -> Void = { _ in }) async throws -> ReleaseSpecification {
        var spec = base
        spec.release = release.name
        adjust(&spec)
        do {
            guard FileManager.default.fileExists(atPath: spec.directory) else {
                throw PipelineError.buildMissing(deployment: spec.deploymentName, release: base.release)
            }
            try spec.write()
            output.stage("Released \(spec.deploymentName) \(release.name): \(reason) (the build of \(base.release))")
            try await platform.updateRelease(id: release.id, status: .deploying, buildLogPath: nil)
            try await PomegranateConnection.withClient(socketPath: settings.pomegranateSocket) { pomegranate in
                let instances = try await deploy(spec, using: pomegranate)
                try await healthCheck(spec, instances: instances, using: pomegranate)
                try await switchAndRetire(spec, using: pomegranate)
            }
            try await platform.updateRelease(id: release.id, status: .live, buildLogPath: nil)
        } catch {
            try? await platform.updateRelease(id: release.id, status: .failed, buildLogPath: nil)
            throw error
        }
        if spec.recipe.kind == .web { output.stage("Live at \(settings.appURL(deployment: spec.deploymentName, project: spec.projectName))") }
        return spec
    }

    /// The specification of release `release` (`v<N>`) of a deployment, as written when it was released.
    /// - Throws: ``PipelineError/buildMissing(deployment:release:)`` once it was pruned.
    public func specification(deploymentID: String, deploymentName: String, release: String) throws -> ReleaseSpecification {
        let path = ReleaseSpecification.path(deploymentDirectory: settings.releasesDirectory + "/" + deploymentID, release: release)
        guard FileManager.default.fileExists(atPath: path) else {
            throw PipelineError.buildMissing(deployment: deploymentName, release: release)
        }
        return try ReleaseSpecification.read(path: path)
    }
}
