import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import PomegranateRPC
import RepoManager

/// `git push` to running app, as one function of named stages:
///
///     receive → build → release → deploy → health-check → switch → retire
///
/// Each stage prints a `-----> ` line the pusher sees live. A failure at any stage leaves the
/// serving release untouched and fails the push with the reason.
public struct DeployPipeline: Sendable {
    let platform: any PipelinePlatform
    let settings: PipelineSettings
    let output: PipelineOutput

    public init(platform: any PipelinePlatform, settings: PipelineSettings, output: PipelineOutput = PipelineOutput()) {
        self.platform = platform
        self.settings = settings
        self.output = output
    }

    /// Deploys a push to the project's default branch; other branches are only stored.
    /// - Parameter objectDirectories: Where else the pushed objects are: a pre-receive hook's quarantine.
    /// - Returns: The URL of each web deployment now serving the push (workers have none).
    public func run(_ push: Push, repository: String, objectDirectories: [String] = [], projectID: String, pusher: String?) async throws -> [String] {
        let project = try await platform.project(id: projectID)
        guard let branch = push.branch, branch == project.defaultBranch, !push.isDeletion else {
            output.stage("Received \(push.ref): only pushes to \(project.defaultBranch) deploy")
            return []
        }
        let (tree, commit) = try receive(push, repository: repository, objectDirectories: objectDirectories)
        defer { try? FileManager.default.removeItem(atPath: tree) }
        let detected = try Detector.detect(root: tree)
        output.stage("Detected \(detected.map { "\($0.name) (\($0.recipe.builder))" }.joined(separator: ", "))")

        return try await PomegranateConnection.withClient(socketPath: settings.pomegranateSocket) { pomegranate in
            var urls: [String] = []
            for found in detected {
                let deployment = try await platform.upsertDeployment(projectID: project.id, name: found.name)
                let release = try await platform.createRelease(deploymentID: deployment.id, commit: commit.id,
                                                               description: commit.subject, createdBy: pusher)
                let buildLog = BuildLog(deploymentDirectory: settings.releasesDirectory + "/" + deployment.id, release: release.name)
                do {
                    let directory = try await build(found, of: project, as: deployment, release: release, tree: tree,
                                                    log: buildLog, using: pomegranate)
                    let spec = try recordRelease(found, of: project, as: deployment, release: release, directory: directory)
                    try await platform.updateRelease(id: release.id, status: .deploying, buildLogPath: buildLog.recordedPath)
                    try await goLive(spec, using: pomegranate)
                    try await platform.updateRelease(id: release.id, status: .live, buildLogPath: buildLog.recordedPath)
                    if spec.recipe.kind == .web {
                        urls.append(settings.appURL(deployment: found.name, project: project.name))
                    } else {
                        output.stage("\(found.name) runs as a worker (no URL)")
                    }
                } catch {
                    try? await platform.updateRelease(id: release.id, status: .failed, buildLogPath: buildLog.recordedPath)
                    throw error
                }
            }
            for url in urls { output.stage("Live at \(url)") }
            return urls
        }
    }

    /// deploy → health-check → switch → retire: the stages every release goes through once it is recorded,
    /// whether built by a push, redeployed (rollback, configuration change) or resumed after a restore.
    func goLive(_ spec: ReleaseSpecification, using pomegranate: PomegranateClient) async throws {
        let instances = try await deploy(spec, using: pomegranate)
        try await healthCheck(spec, instances: instances, using: pomegranate)
        try await switchAndRetire(spec, using: pomegranate)
    }

    // MARK: - Stages

    /// Receive: the pushed commit's tree, exported with libgit2 into a fresh directory.
    func receive(_ push: Push, repository: String, objectDirectories: [String]) throws -> (tree: String, commit: CommitSummary) {
        let commit = try RepositoryExport.summary(repositoryPath: repository, commit: push.newCommit, objectDirectories: objectDirectories)
        output.stage("Receiving \(push.branch ?? push.ref) at \(commit.shortID): \(commit.subject)")
        let tree = settings.buildsDirectory + "/" + UUID().uuidString.lowercased()
        try FileManager.default.createDirectory(atPath: tree, withIntermediateDirectories: true)
        try RepositoryExport.checkout(repositoryPath: repository, commit: push.newCommit, into: tree, objectDirectories: objectDirectories)
        return (tree, commit)
    }

    /// Build: the deployment's directory becomes the release directory, built in a sandbox with
    /// egress and the project's cache at /data; its output streams to the pusher.
    func build(_ found: DetectedDeployment, of project: PipelineProject, as deployment: PipelineDeployment, release: PipelineRelease,
               tree: String, log: BuildLog, using pomegranate: PomegranateClient) async throws -> String {
        let directory = settings.releasesDirectory + "/" + deployment.id + "/" + release.name
        try FileManager.default.createDirectory(atPath: (directory as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.moveItem(atPath: found.path.isEmpty ? tree : tree + "/" + found.path, toPath: directory)
        guard !found.recipe.buildScript.isEmpty else {
            output.stage("Building \(found.name): nothing to build (\(found.recipe.builder))")
            return directory
        }
        output.stage("Building \(found.name) (\(found.recipe.builder)) as \(release.name)")
        let cache = settings.cacheDirectory + "/" + project.id + "/" + found.name
        try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)

        var request = Paastech_Pomegranate_V1_BuildRequest()
        request.projectID = project.id
        request.projectName = project.name
        request.deploymentID = deployment.id
        request.deploymentName = deployment.name
        request.buildID = String(deployment.id.prefix(8)) + "-" + release.name
        request.sourceDirectory = directory
        request.cacheDirectory = cache
        request.command = ["/bin/sh", "-c", "set -e\n" + found.recipe.buildScript]
        request.environment = deployment.environment.merging(found.recipe.environment) { $1 }.merging([
            "HOME": "/app", "PIP_CACHE_DIR": "/data/pip", "npm_config_cache": "/data/npm",
            "GOCACHE": "/data/go-build", "GOPATH": "/data/go", "PAASTECH_BUILD": "1",
        ]) { $1 }
        request.limits.memoryBytes = UInt64(max(found.memoryMiB ?? deployment.memoryMiB, 0)) << 20
        request.limits.cpu = found.cpu ?? deployment.cpu
        request.timeoutSeconds = UInt32(settings.buildTimeoutSeconds)
        let output = self.output
        let result = try await pomegranate.builds.startBuild(request) { response in
            var result: Paastech_Pomegranate_V1_BuildResult?
            var pending = ""
            for try await event in response.messages {
                switch event.event {
                case .output(let bytes)?:
                    pending += String(decoding: bytes, as: UTF8.self)
                    while let newline = pending.firstIndex(of: "\n") {
                        output.detail(String(pending[..<newline]))
                        log.append(String(pending[..<newline]))
                        pending = String(pending[pending.index(after: newline)...])
                    }
                case .result(let finished)?:
                    result = finished
                case nil:
                    break
                }
            }
            if !pending.isEmpty {
                output.detail(pending)
                log.append(pending)
            }
            return result
        }
        guard let result, result.exitStatus == 0, !result.timedOut else {
            throw PipelineError.buildFailed(deployment: found.name, detail: result?.message ?? "pomegranate ended the build without a result")
        }
        return directory
    }

    /// Release: what runs and how, written into the (now immutable) release directory.
    func recordRelease(_ found: DetectedDeployment, of project: PipelineProject, as deployment: PipelineDeployment,
                       release: PipelineRelease, directory: String) throws -> ReleaseSpecification {
        let spec = ReleaseSpecification(
            projectID: project.id, projectName: project.name, deploymentID: deployment.id, deploymentName: deployment.name,
            release: release.name, directory: directory, recipe: found.recipe,
            environment: deployment.environment, instances: found.instances ?? deployment.instances,
            memoryMiB: found.memoryMiB ?? deployment.memoryMiB, cpu: found.cpu ?? deployment.cpu, egress: found.egress,
            hosts: hosts(for: found.name, in: project), sleepAfterSeconds: found.sleepAfterSeconds, maxBodyBytes: found.maxBodyBytes)
        try spec.write()
        output.stage("Released \(deployment.name) \(release.name)")
        return spec
    }

    /// `<deployment>.<project>.<apps-domain>`.
    func hosts(for deployment: String, in project: PipelineProject) -> [String] {
        ["\(deployment).\(project.name).\(settings.appsDomain)"]
    }

    /// Deploy: the new instances start next to the serving ones, without traffic.
    func deploy(_ spec: ReleaseSpecification, using pomegranate: PomegranateClient) async throws -> [Paastech_Pomegranate_V1_Instance] {
        let sleeps = spec.sleepAfterSeconds.map { ", sleeps after \($0) s without requests" } ?? ""
        output.stage("Deploying \(spec.deploymentName) \(spec.release): \(spec.instances) instance(s), \(spec.memoryMiB) MiB, \(spec.cpu) CPU\(sleeps)")
        do {
            let instances = try await pomegranate.releases.deploy(spec.deployRequest()).instances
            // Where each instance listens on the platform bridge (reachable from the host, not from other apps).
            for instance in instances { output.detail("\(instance.id) at \(instance.address)") }
            return instances
        } catch let error as RPCError {
            throw PipelineError.deployFailed(deployment: spec.deploymentName, detail: error.message)
        }
    }

    /// Health check: every new instance answers GET with a status below 500 (web), or stays up (worker).
    /// A failure stops the new instances; the serving release is untouched.
    func healthCheck(_ spec: ReleaseSpecification, instances: [Paastech_Pomegranate_V1_Instance], using pomegranate: PomegranateClient) async throws {
        let checker = HealthChecker(timeout: settings.healthCheckTimeout, workerSettleTime: settings.workerSettleTime)
        do {
            switch spec.recipe.kind {
            case .web:
                output.stage("Health check: GET \(spec.recipe.healthCheckPath) on \(instances.count) instance(s)")
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await checker.checkWeb(addresses: instances.map(\.address), path: spec.recipe.healthCheckPath) }
                    group.addTask {
                        try await checker.failOnCrash(deploymentID: spec.deploymentID, release: spec.release, instances: instances, using: pomegranate)
                    }
                    try await group.next()  // the web check passed, or either failed
                    group.cancelAll()
                }
            case .worker:
                output.stage("Health check: \(instances.count) worker instance(s) must stay up")
                try await checker.checkWorkers(deploymentID: spec.deploymentID, release: spec.release, instances: instances, using: pomegranate)
            }
        } catch {
            var stop = Paastech_Pomegranate_V1_StopRequest()
            stop.deploymentID = spec.deploymentID
            stop.releaseID = spec.release
            _ = try? await pomegranate.releases.stop(stop)
            throw PipelineError.healthCheckFailed(deployment: spec.deploymentName, detail: "\(error)")
        }
    }

    /// Switch, then retire: the routes point at the new release; the old instances drain and stop. Then
    /// builds beyond ``PipelineSettings/releasesKept`` are pruned (never this one or the one it replaced).
    func switchAndRetire(_ spec: ReleaseSpecification, using pomegranate: PomegranateClient) async throws {
        output.stage("Switching \(spec.deploymentName) to \(spec.release)")
        var promote = Paastech_Pomegranate_V1_PromoteRequest()
        promote.deploymentID = spec.deploymentID
        promote.releaseID = spec.release
        let retired = try await pomegranate.releases.promote(promote).retired
        if !retired.isEmpty { output.stage("Retiring \(retired.count) instance(s) of the previous release once their open connections end") }
        let pruned = ReleasePruning(deploymentDirectory: (spec.directory as NSString).deletingLastPathComponent, kept: settings.releasesKept)
            .prune(protecting: [spec.release] + retired.map(\.releaseID))
        if !pruned.releases.isEmpty { output.detail("pruned old releases: \(pruned.releases.joined(separator: ", "))") }
        guard !pruned.unusedBuilds.isEmpty else { return }
        var remove = Paastech_Pomegranate_V1_RemoveBuildsRequest()
        remove.deploymentID = spec.deploymentID
        remove.builds = pruned.unusedBuilds
        do {
            let removed = try await pomegranate.builds.removeBuilds(remove).removed
            output.detail("removed \(removed.count) unused build(s)")
        } catch {
            output.detail("old builds kept for now (\(error))")  // pruning never fails a deploy; the next one retries
        }
    }
}

