/// Sleeping deployments (scale to zero): a deployment whose serving release has `sleepAfterSeconds` is
/// stopped after that long without traffic, and started again by the first request (``wake(deploymentID:)``,
/// called by the edge, which holds the request meanwhile). Traffic is what the edge reports
/// (``reportActivity(deploymentIDs:)``): requests and open connections such as WebSockets.
extension Supervisor {
    /// The edge saw traffic for these deployments.
    public func reportActivity(deploymentIDs: [String]) {
        for id in deploymentIDs where deployments[id] != nil { lastActivity[id] = .now }
    }

    /// Starts a sleeping deployment's instances (and any the serving release lacks, e.g. after a deploy
    /// woke the deployment for a release that then failed); returns once they are started, each routed
    /// when its app accepts connections. Returns whether it was asleep.
    public func wake(deploymentID: String) async throws(PomegranateError) -> Bool {
        guard var state = deployments[deploymentID] else { throw .unknownDeployment(deploymentID) }
        lastActivity[deploymentID] = .now
        guard let releaseID = state.servingReleaseID else { return false }
        let wasAsleep = state.asleepSince != nil
        if wasAsleep {
            state.asleepSince = nil
            try save(state)
            log(state.identity, "waking up for a request")
            publishRoutes()
        }
        try await reconcileInstances(deploymentID: deploymentID, releaseID: releaseID)
        return wasAsleep
    }

    /// Puts to sleep every deployment idle for longer than its release allows. Called periodically
    /// (once a second, by a `PeriodicService` of the daemon). A deployment in the middle of a deploy (a second release) is left alone.
    public func sleepIdleDeployments(now: ContinuousClock.Instant = .now) async {
        var sleeping: [String] = []
        for (id, var state) in deployments where state.asleepSince == nil && state.releases.count == 1 {
            guard let releaseID = state.servingReleaseID, let after = state.releases[releaseID]?.sleepAfterSeconds else { continue }
            guard let last = lastActivity[id] else {
                lastActivity[id] = now  // first seen (e.g. after a restart of pomegranate): the clock starts now
                continue
            }
            guard now - last >= .seconds(after) else { continue }
            state.asleepSince = LogLine.now()
            do { try save(state) } catch {
                logger.error("a deployment cannot be put to sleep", metadata: ["deployment": "\(id)", "error": "\(error)"])
                continue
            }
            log(state.identity, "no traffic for \(after) s: sleeping until the next request")
            sleeping.append(id)
        }
        guard !sleeping.isEmpty else { return }
        publishRoutes()
        let stopping = instances.values.filter { sleeping.contains($0.record.deploymentID) }.map(\.record.id)
        _ = await terminate(stopping)
    }
}
