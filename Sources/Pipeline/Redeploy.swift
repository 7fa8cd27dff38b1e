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
                try await goLive(spec, using: pomegranate)
            }
            try await platform.updateRelease(id: release.id, status: .live, buildLogPath: nil)
        } catch {
            try? await platform.updateRelease(id: release.id, status: .failed, buildLogPath: nil)
            throw error
        }
        if spec.recipe.kind == .web { output.stage("Live at \(settings.appURL(deployment: spec.deploymentName, project: spec.projectName))") }
        return spec
    }

    /// Runs a release again as itself — its build, its configuration, its number, no new release row — on a
    /// platform that is not running it: `paastech restore` does this for every deployment whose release was
    /// serving when the backup was made. The same stages as a redeploy (deploy → health-check → switch →
    /// retire); the host names follow this platform's apps domain.
    /// - Parameter base: The release's specification, as ``specification(deploymentID:deploymentName:release:)``
    ///   reads it (its build directory is where the specification is now).
    /// - Returns: The specification now serving.
    public func resume(_ base: ReleaseSpecification) async throws -> ReleaseSpecification {
        var spec = base
        spec.hosts = hosts(for: spec.deploymentName, in: PipelineProject(id: spec.projectID, name: spec.projectName, defaultBranch: ""))
        guard FileManager.default.fileExists(atPath: spec.directory) else {
            throw PipelineError.buildMissing(deployment: spec.deploymentName, release: spec.release)
        }
        if spec.hosts != base.hosts { try spec.rewrite() }
        output.stage("Resuming \(spec.deploymentName) \(spec.release) (the build of \((spec.directory as NSString).lastPathComponent))")
        try await PomegranateConnection.withClient(socketPath: settings.pomegranateSocket) { pomegranate in
            try await goLive(spec, using: pomegranate)
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
