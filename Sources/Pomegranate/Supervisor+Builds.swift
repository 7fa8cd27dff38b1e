import Foundation

extension Supervisor {
    /// Deletes builds the pipeline prunes. After a build they belong to the project's uid, and the pipeline
    /// runs as the git user, so it cannot. Each must be a `v<N>` directory in the directory of one of the
    /// deployment's releases (so a caller can name nothing else on the host), and no release it keeps may
    /// run it (a rollback reuses an earlier build).
    /// - Returns: The builds deleted; one that is already gone or cannot be deleted is left out.
    public func removeBuilds(deploymentID: String, builds: [String]) throws(PomegranateError) -> [String] {
        guard let state = deployments[deploymentID] else { throw .unknownDeployment(deploymentID) }
        let running = Set(state.releases.values.map(\.releaseDirectory))
        // A build whose instances are still draining after a promote stays until they stop (a later prune takes it).
        let draining = drainingReleaseDirectories[deploymentID] ?? []
        let releaseParents = Set(running.map { ($0 as NSString).deletingLastPathComponent })
        for build in builds {
            let name = (build as NSString).lastPathComponent
            guard name.hasPrefix("v"), name.count > 1, name.dropFirst().allSatisfy({ ("0"..."9").contains($0) }),
                  releaseParents.contains((build as NSString).deletingLastPathComponent)
            else {
                throw .invalidArgument(field: "builds", problem: "\(build.debugDescription) is not a v<N> build beside the deployment's releases")
            }
            guard !running.contains(build) else {
                throw .invalidArgument(field: "builds", problem: "\(build) is run by a release of the deployment")
            }
        }
        var removed: [String] = []
        for build in builds where !draining.contains(build) && (try? FileManager.default.removeItem(atPath: build)) != nil {
            removed.append(build)
        }
        if !removed.isEmpty { log(state.identity, "removed \(removed.count) old build(s)") }
        return removed
    }
}
