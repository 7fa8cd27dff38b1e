import Logging
import Synchronization

/// The edge's current ``RouteTable``, rebuilt from ``RouteSources`` whenever one of them changes.
///
/// Rebuilding keeps ``Backend`` and ``BackendPool`` objects whose addresses did not change, so passive
/// health and round-robin positions survive unrelated route changes. Readers take the table under a
/// short lock and then use the immutable snapshot.
public final class RouteTableStore: Sendable {
    private struct State {
        var sources: RouteSources
        var table = RouteTable()
        /// Requests held for a deployment without backends (waking up), resumed when it gets some.
        var backendWaiters: [Int: (deployment: String, continuation: CheckedContinuation<BackendPool?, Never>)] = [:]
        var nextWaiter = 0
        /// Whether each source has delivered its table once (an empty one counts).
        var appRoutesReceived = false
        var aliasesReceived = false
        /// Told of backends a new table no longer has (``onBackendsRemoved(_:)``).
        var removalHandlers: [@Sendable ([Backend]) -> Void] = []
    }

    private let state: Mutex<State>
    private let maxBodyBytes: Int
    private let logger: Logger

    /// - Parameters:
    ///   - platform: the platform's own host names → `ip:port`.
    ///   - maxBodyBytes: the request body limit of every pool.
    public init(platform: [String: String], maxBodyBytes: Int, logger: Logger) {
        self.maxBodyBytes = maxBodyBytes
        self.logger = logger
        state = Mutex(State(sources: RouteSources(platform: platform)))
        state.withLock { $0.table = Self.build($0.sources, reusing: RouteTable(), maxBodyBytes: maxBodyBytes, logger: logger) }
    }

    /// The table now.
    public var current: RouteTable { state.withLock { $0.table } }

    /// Whether `host` is routed (certificates are only ever obtained for routed names).
    public func isRouted(_ host: String) -> Bool { current.pool(forHost: host) != nil }

    /// Pomegranate sent a new table.
    public func updateAppRoutes(_ routes: [RouteSources.AppRoute], version: UInt64) {
        update { $0.appRoutes = routes; $0.appRoutesVersion = version }
        state.withLock { $0.appRoutesReceived = true }
    }

    /// The API's aliases changed.
    public func updateAliases(_ aliases: [RouteSources.Alias]) {
        update { $0.aliases = aliases }
        state.withLock { $0.aliasesReceived = true }
    }

    /// Whether pomegranate's routes and the API's aliases have both arrived once since start.
    public var isLoaded: Bool { state.withLock { $0.appRoutesReceived && $0.aliasesReceived } }

    /// Returns true once ``isLoaded``, false after `timeout` (pomegranate or the API unreachable). The edge waits
    /// for this before it accepts connections: a restarted edge would otherwise answer 404 for every app until
    /// its tables came (with socket activation, connections made meanwhile wait in the listening queue).
    public func waitUntilLoaded(within timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !isLoaded {
            guard ContinuousClock.now < deadline, !Task.isCancelled else { return false }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return true
    }

    /// Calls `handler` with the backends each new table drops (a deploy retiring the old instances), after
    /// they are marked no longer routed (``Backend/isRouted``).
    func onBackendsRemoved(_ handler: @escaping @Sendable ([Backend]) -> Void) {
        state.withLock { $0.removalHandlers.append(handler) }
    }

    private func update(_ change: (inout RouteSources) -> Void) {
        typealias Resumed = [(CheckedContinuation<BackendPool?, Never>, BackendPool)]
        let (resumed, removed, handlers) = state.withLock { state -> (Resumed, [Backend], [@Sendable ([Backend]) -> Void]) in
            var sources = state.sources
            change(&sources)
            guard sources != state.sources else { return ([], [], []) }
            state.sources = sources
            let previous = state.table
            state.table = Self.build(sources, reusing: previous, maxBodyBytes: maxBodyBytes, logger: logger)
            let kept = Set(state.table.pools.values.flatMap(\.backends).map(ObjectIdentifier.init))
            // One entry per backend, though several pools (a deployment and its project alias) may hold it.
            var dropped: [ObjectIdentifier: Backend] = [:]
            for backend in previous.pools.values.flatMap(\.backends) where !kept.contains(ObjectIdentifier(backend)) {
                dropped[ObjectIdentifier(backend)] = backend
            }
            let removed = Array(dropped.values)
            guard !state.backendWaiters.isEmpty else { return ([], removed, state.removalHandlers) }
            let ready = Dictionary(state.table.pools.values.filter { !$0.backends.isEmpty }.map { ($0.name, $0) }) { first, _ in first }
            var resumed: Resumed = []
            for (id, waiter) in state.backendWaiters {
                guard let pool = ready[waiter.deployment] else { continue }
                state.backendWaiters[id] = nil
                resumed.append((waiter.continuation, pool))
            }
            return (resumed, removed, state.removalHandlers)
        }
        if !removed.isEmpty {
            for backend in removed { backend.markUnrouted() }
            for handler in handlers { handler(removed) }
        }
        for (continuation, pool) in resumed { continuation.resume(returning: pool) }
    }

    /// The pool of deployment `name` once it has a backend (at once if it has one now); nil after `timeout`.
    public func backends(ofDeployment name: String, within timeout: Duration) async -> BackendPool? {
        await withCheckedContinuation { continuation in
            let (ready, id) = state.withLock { state -> (BackendPool?, Int) in
                if let pool = state.table.pools.values.first(where: { $0.name == name && !$0.backends.isEmpty }) { return (pool, 0) }
                state.nextWaiter += 1
                state.backendWaiters[state.nextWaiter] = (name, continuation)
                return (nil, state.nextWaiter)
            }
            if let ready {
                continuation.resume(returning: ready)
                return
            }
            Task {
                try? await Task.sleep(for: timeout)
                self.state.withLock { $0.backendWaiters.removeValue(forKey: id) }?.continuation.resume(returning: nil)
            }
        }
    }

    /// A table from `sources`, reusing the pools and backends of `previous` where nothing changed.
    static func build(_ sources: RouteSources, reusing previous: RouteTable, maxBodyBytes: Int, logger: Logger) -> RouteTable {
        var previousPools: [String: BackendPool] = [:]
        var previousBackends: [String: Backend] = [:]
        for pool in previous.pools.values {
            previousPools[pool.name] = pool
            for backend in pool.backends { previousBackends[backend.address] = backend }
        }
        func pool(named name: String, addresses: [String], route: RouteSources.AppRoute? = nil) -> BackendPool {
            let limit = route?.maxBodyBytes ?? maxBodyBytes
            let (sleeps, asleep) = (route?.sleeps ?? false, route?.asleep ?? false)
            if let existing = previousPools[name], existing.backends.map(\.address) == addresses, existing.maxBodyBytes == limit,
               existing.sleeps == sleeps, existing.asleep == asleep {
                return existing
            }
            let backends = addresses.compactMap { address -> Backend? in
                if let backend = previousBackends[address] { return backend }
                do { return try Backend(address: address) } catch {
                    logger.warning("Route ignores a backend", metadata: ["error": "\(error)"])
                    return nil
                }
            }
            let made = BackendPool(name: name, backends: backends, maxBodyBytes: limit, sleeps: sleeps, asleep: asleep)
            previousPools[name] = made
            return made
        }

        var pools: [String: BackendPool] = [:]
        var byDeployment: [String: BackendPool] = [:]
        for route in sources.appRoutes {
            guard let host = RouteTable.normalise(host: route.host) else { continue }
            let deploymentPool = byDeployment[route.deploymentID] ?? pool(named: route.deploymentID, addresses: route.backends, route: route)
            byDeployment[route.deploymentID] = deploymentPool
            pools[host] = deploymentPool
        }
        for alias in sources.aliases {
            guard let host = RouteTable.normalise(host: alias.host), pools[host] == nil,
                  let deploymentPool = byDeployment[alias.deploymentID] else { continue }
            pools[host] = deploymentPool
        }
        // The platform's own names win over anything an app could claim.
        for (host, address) in sources.platform {
            guard let host = RouteTable.normalise(host: host) else { continue }
            pools[host] = pool(named: host, addresses: [address])
        }
        return RouteTable(pools: pools, version: sources.appRoutesVersion)
    }
}
