import Foundation
import Logging
import NIOCore
import Sandbox

/// Keeps each deployment's desired instances running: starts them in sandboxes, restarts crashed
/// ones with exponential backoff, stops them gracefully, switches routes on promote, and after a
/// restart of pomegranate re-adopts the instances that kept running.
///
/// Desired state (deployments, releases, instance counts) is persisted under the state directory;
/// each running instance has a record under the run directory (see ``PomegranateLayout``).
public actor Supervisor {
    let runner: SandboxRunner
    let layout: PomegranateLayout
    let settings: SupervisorSettings
    let uids: UIDAllocator
    public nonisolated let logs: LogBook
    let eventLoops: any EventLoopGroup
    let logger: Logger

    var deployments: [String: DeploymentState] = [:]
    var instances: [String: LiveInstance] = [:]
    var routeWatchers: [Int: AsyncStream<RouteTable>.Continuation] = [:]
    var nextWatcher = 0
    var routes = RouteTable(version: 0, routes: [])
    /// When each deployment last had traffic, as the edge reports it (``reportActivity(deploymentIDs:)``).
    var lastActivity: [String: ContinuousClock.Instant] = [:]
    /// Each deployment's last hour of memory and CPU use (``sampleUsage(now:)``).
    var usageHistory: [String: [UsageMinute]] = [:]
    /// Each running sandbox's CPU time at the last sample, to count the minute's use.
    var cpuAtLastSample: [String: Duration] = [:]
    /// Release directories of instances still draining after a promote, per deployment: their builds stay.
    var drainingReleaseDirectories: [String: Set<String>] = [:]

    public init(runner: SandboxRunner, layout: PomegranateLayout, settings: SupervisorSettings,
                eventLoops: any EventLoopGroup, logger: Logger) throws(PomegranateError) {
        self.runner = runner
        self.layout = layout
        self.settings = settings
        self.eventLoops = eventLoops
        self.logger = logger
        for directory in [layout.stateDirectory, layout.runDirectory, layout.deploymentsDirectory, layout.instancesDirectory] {
            let failure = makeDirectories(directory, mode: 0o700)
            guard failure == 0 else { throw .stateFile(path: directory, detail: "cannot be created: errno \(failure)") }
        }
        uids = try UIDAllocator(range: settings.uidRange, path: layout.uidAllocationsPath)
        logs = LogBook(directory: layout.logsDirectory, maxBytes: settings.logMaxBytes, logger: logger)
    }

    // MARK: - Deploy, promote, stop, scale

    /// Starts `spec.instances` instances of a release next to the serving ones (not routed until
    /// ``promote(deploymentID:releaseID:)``). Deploying the same release again is a no-op.
    /// If an instance cannot start, the release's instances are stopped and nothing changes.
    public func deploy(_ identity: DeploymentIdentity, _ spec: ReleaseSpec) async throws(PomegranateError) -> [InstanceStatus] {
        let uid = try uids.uid(forProject: identity.projectID)
        var state = deployments[identity.deploymentID]
            ?? DeploymentState(identity: identity, uid: uid, releases: [:], servingReleaseID: nil)
        state.identity = identity
        let unchanged = state.releases[spec.releaseID] == spec
        state.releases[spec.releaseID] = spec
        // A new release must run to be health-checked, so a sleeping deployment wakes for it.
        state.asleepSince = nil
        lastActivity[identity.deploymentID] = .now
        try save(state)
        if !unchanged { log(identity, "deploying release \(spec.releaseID): \(spec.instances) instance(s) of \(spec.command.joined(separator: " "))") }
        do {
            try await reconcileInstances(deploymentID: identity.deploymentID, releaseID: spec.releaseID)
        } catch {
            log(identity, "release \(spec.releaseID) failed to start: \(error)")
            _ = await stop(deploymentID: identity.deploymentID, releaseID: spec.releaseID)
            throw error
        }
        return statuses(deploymentID: identity.deploymentID, releaseID: spec.releaseID)
    }

    /// Routes the deployment's hosts to `releaseID` and retires every other release in the background
    /// (``retire(_:identity:releaseDirectories:)``). Returns the retiring instances, now `stopping`.
    public func promote(deploymentID: String, releaseID: String) async throws(PomegranateError) -> [InstanceStatus] {
        // The pipeline has health-checked the release, but routes carry only the instances pomegranate itself has
        // seen accept connections (PortProbe, asynchronous): wait for that, briefly, so that the switch never
        // leaves the hosts without a backend (the edge would answer 503 meanwhile).
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline, instances.values.contains(where: {
            $0.record.deploymentID == deploymentID && $0.record.releaseID == releaseID && $0.state == .running && !$0.accepting
        }) {
            try? await Task.sleep(for: .milliseconds(5))
        }
        guard var state = deployments[deploymentID] else { throw .unknownDeployment(deploymentID) }
        guard state.releases[releaseID] != nil else { throw .unknownRelease(deployment: deploymentID, release: releaseID) }
        let retiredReleases = state.releases.keys.filter { $0 != releaseID }
        let retiredDirectories = Set(retiredReleases.compactMap { state.releases[$0]?.releaseDirectory })
        state.servingReleaseID = releaseID
        for release in retiredReleases { state.releases[release] = nil }
        try save(state)
        log(state.identity, "routes now point at release \(releaseID)")
        publishRoutes()
        // Instances already stopping (still draining after an earlier promote) have their own retirement.
        let ids = instances.values.filter { $0.record.deploymentID == deploymentID && $0.record.releaseID != releaseID && $0.state != .stopping }
            .map(\.record.id)
        guard !ids.isEmpty else { return [] }
        for id in ids { instances[id]?.state = .stopping }
        drainingReleaseDirectories[deploymentID, default: []].formUnion(retiredDirectories)
        let identity = state.identity
        Task { await self.retire(ids, identity: identity, releaseDirectories: retiredDirectories) }
        return ids.compactMap { instances[$0]?.status() }
    }

    /// Stops instances no route points at any more, once they are drained: they keep serving what is still
    /// open (requests in flight, WebSockets, streams: ``OpenConnections``) for at least the drain delay (the
    /// edge picks up the new table) and until nothing is open or the drain timeout passes, then get SIGTERM,
    /// and SIGKILL after their stop timeout. A restart of pomegranate meanwhile stops them at once.
    func retire(_ ids: [String], identity: DeploymentIdentity, releaseDirectories: Set<String>) async {
        let deadline = ContinuousClock.now + settings.drainTimeout
        try? await Task.sleep(for: settings.drainDelay)
        var open = openConnections(ids)
        if open > 0 && ContinuousClock.now < deadline {
            log(identity, "the previous release has \(open) open connection(s); it stops once they end "
                + "(at most \(settings.drainTimeout.components.seconds) s after the switch)")
            while open > 0 && ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(100))
                open = openConnections(ids)
            }
        }
        if open > 0 { log(identity, "stopping the previous release with \(open) connection(s) still open (drain timeout)") }
        _ = await terminate(ids)
        drainingReleaseDirectories[identity.deploymentID]?.subtract(releaseDirectories)
        if drainingReleaseDirectories[identity.deploymentID]?.isEmpty == true { drainingReleaseDirectories[identity.deploymentID] = nil }
    }

    /// Open connections to these instances' ports, summed.
    func openConnections(_ ids: [String]) -> Int {
        ids.reduce(0) { sum, id in
            guard let instance = instances[id], let pid = instance.sandbox?.pid else { return sum }
            return sum + (OpenConnections.count(pid: pid, port: instance.port) ?? 0)
        }
    }

    /// Stops one release's instances, or the whole deployment (which pomegranate then forgets;
    /// its log stays until ``removeLogs(deploymentID:)``).
    public func stop(deploymentID: String, releaseID: String? = nil) async -> [InstanceStatus] {
        guard var state = deployments[deploymentID] else { return [] }
        if let releaseID {
            state.releases[releaseID] = nil
            if state.servingReleaseID == releaseID { state.servingReleaseID = nil }
            try? save(state)
        } else {
            deployments[deploymentID] = nil
            StateFile.remove(deploymentPath(deploymentID))
            log(state.identity, "deployment stopped")
        }
        publishRoutes()
        let stopping = instances.values.filter {
            $0.record.deploymentID == deploymentID && (releaseID == nil || $0.record.releaseID == releaseID)
        }
        return await terminate(stopping.map(\.record.id))
    }

    /// Sets the number of instances of the serving release (or of the only release, before promote).
    public func scale(deploymentID: String, instances count: Int) async throws(PomegranateError) -> [InstanceStatus] {
        guard var state = deployments[deploymentID] else { throw .unknownDeployment(deploymentID) }
        guard let releaseID = state.servingReleaseID ?? (state.releases.count == 1 ? state.releases.keys.first : nil) else {
            throw .invalidArgument(field: "deployment_id", problem: "nothing to scale: promote a release first")
        }
        state.releases[releaseID]?.instances = count
        if count > 0 { state.asleepSince = nil }
        lastActivity[deploymentID] = .now
        try save(state)
        log(state.identity, "scaled to \(count) instance(s)")
        try await reconcileInstances(deploymentID: deploymentID, releaseID: releaseID)
        return statuses(deploymentID: deploymentID, releaseID: releaseID)
    }

    /// Deletes a stopped deployment's log.
    public func removeLogs(deploymentID: String) {
        logs.remove(deploymentID: deploymentID)
    }

    // MARK: - Status and routes

    public func status(deploymentID: String? = nil) -> [DeploymentStatus] {
        deployments.values
            .filter { deploymentID == nil || $0.identity.deploymentID == deploymentID }
            .sorted { ($0.identity.projectName, $0.identity.deploymentName) < ($1.identity.projectName, $1.identity.deploymentName) }
            .map { state in
                let serving = state.servingReleaseID.flatMap { state.releases[$0] }
                return DeploymentStatus(
                    identity: state.identity, servingReleaseID: state.servingReleaseID,
                    desiredInstances: serving?.instances ?? state.releases.values.first?.instances ?? 0,
                    hosts: serving?.hosts ?? [],
                    instances: statuses(deploymentID: state.identity.deploymentID, releaseID: nil),
                    asleep: state.asleepSince != nil, sleepAfterSeconds: serving?.sleepAfterSeconds)
            }
    }

    /// The route table now, then after every change, until the caller stops iterating.
    public func watchRoutes() -> AsyncStream<RouteTable> {
        let (stream, continuation) = AsyncStream.makeStream(of: RouteTable.self, bufferingPolicy: .bufferingNewest(1))
        let id = nextWatcher
        nextWatcher += 1
        routeWatchers[id] = continuation
        continuation.yield(routes)
        continuation.onTermination = { _ in Task { await self.removeRouteWatcher(id) } }
        return stream
    }

    func removeRouteWatcher(_ id: Int) {
        routeWatchers[id] = nil
    }

    /// Recomputes the table and tells the watchers if it changed.
    func publishRoutes() {
        var table: [Route] = []
        for state in deployments.values {
            guard let releaseID = state.servingReleaseID, let spec = state.releases[releaseID] else { continue }
            let backends = instances.values
                .filter {
                    $0.record.deploymentID == state.identity.deploymentID && $0.record.releaseID == releaseID
                        && $0.state == .running && $0.accepting
                }
                .compactMap { $0.sandbox?.address.map { "\($0):\(spec.port)" } }
                .sorted()
            for host in spec.hosts {
                table.append(Route(host: host, projectID: state.identity.projectID, deploymentID: state.identity.deploymentID,
                                   releaseID: releaseID, backends: backends, sleepAfterSeconds: spec.sleepAfterSeconds,
                                   asleep: state.asleepSince != nil, maxBodyBytes: spec.maxBodyBytes))
            }
        }
        table.sort { $0.host < $1.host }
        guard table != routes.routes else { return }
        routes = RouteTable(version: routes.version + 1, routes: table)
        for watcher in routeWatchers.values { watcher.yield(routes) }
    }

    func statuses(deploymentID: String, releaseID: String?) -> [InstanceStatus] {
        instances.values
            .filter { $0.record.deploymentID == deploymentID && (releaseID == nil || $0.record.releaseID == releaseID) }
            .map { $0.status() }
            .sorted { $0.id < $1.id }
    }

    /// A running instance to open a session in: `instanceID`, or any running one of the serving release.
    public func sessionTarget(deploymentID: String, instanceID: String?) throws(PomegranateError) -> RunningSandbox {
        guard let state = deployments[deploymentID] else { throw .unknownDeployment(deploymentID) }
        if let instanceID {
            guard let instance = instances[instanceID], instance.record.deploymentID == deploymentID else {
                throw .unknownInstance(instanceID)
            }
            guard let sandbox = instance.sandbox, instance.state == .running else { throw .noRunningInstance(deployment: deploymentID) }
            return sandbox
        }
        let candidates = instances.values.filter { $0.record.deploymentID == deploymentID && $0.state == .running && $0.sandbox != nil }
        let preferred = candidates.first { $0.record.releaseID == state.servingReleaseID } ?? candidates.first
        guard let sandbox = preferred?.sandbox else { throw .noRunningInstance(deployment: deploymentID) }
        return sandbox
    }

    /// The project's uid, for builds.
    nonisolated func uid(forProject projectID: String) throws(PomegranateError) -> UInt32 {
        try uids.uid(forProject: projectID)
    }

    // MARK: - Persistence and logging

    func deploymentPath(_ deploymentID: String) -> String {
        layout.deploymentsDirectory + "/" + deploymentID + ".json"
    }

    func instancePath(_ instanceID: String) -> String {
        layout.instancesDirectory + "/" + instanceID + ".json"
    }

    func save(_ state: DeploymentState) throws(PomegranateError) {
        try StateFile.write(state, to: deploymentPath(state.identity.deploymentID))
        deployments[state.identity.deploymentID] = state
    }

    /// A line from pomegranate itself in the deployment's log.
    func log(_ identity: DeploymentIdentity, _ text: String, instance: String = "pomegranate") {
        logs.append(text, stream: .system, instance: instance, deployment: identity)
        logger.info("\(text)", metadata: ["project": "\(identity.projectName)", "deployment": "\(identity.deploymentName)"])
    }
}
