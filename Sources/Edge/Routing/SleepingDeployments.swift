import Logging
import ServiceLifecycle
import Synchronization

/// The edge's side of sleeping deployments (scale to zero). It counts each sleeping-capable deployment's
/// traffic (requests, and connections such as WebSockets while they stay open) for ``ActivityReporter``,
/// and when a request finds such a deployment without backends it wakes it, holding that request (and
/// any that arrive meanwhile, with one wake call per deployment) until an instance accepts connections.
public final class SleepingDeployments: Sendable {
    /// Asks Pomegranate to start a deployment's instances (Sleep.Wake).
    public typealias Wake = @Sendable (_ deploymentID: String) async throws -> Void

    private struct State {
        var open: [String: Int] = [:]
        var touched: Set<String> = []
        var waking: [String: Task<BackendPool?, Never>] = [:]
    }

    private let state = Mutex(State())
    private let routes: RouteTableStore
    private let wake: Wake?
    private let wakeTimeout: Duration
    private let logger: Logger

    /// - Parameters:
    ///   - wake: nil when nothing can wake a deployment (requests then wait for backends to appear).
    ///   - wakeTimeout: How long a held request waits for an instance before it gets 503.
    public init(routes: RouteTableStore, wakeTimeout: Duration = .seconds(60), logger: Logger, wake: Wake?) {
        self.routes = routes
        self.wake = wake
        self.wakeTimeout = wakeTimeout
        self.logger = logger
    }

    /// A request or connection for `deployment` started.
    func began(_ deployment: String) {
        state.withLock {
            $0.open[deployment, default: 0] += 1
            $0.touched.insert(deployment)
        }
    }

    /// ...and ended.
    func ended(_ deployment: String) {
        state.withLock {
            if let count = $0.open[deployment] { $0.open[deployment] = count > 1 ? count - 1 : nil }
            $0.touched.insert(deployment)
        }
    }

    /// The deployments with traffic since the previous call, or with connections open now.
    public func takeActive() -> [String] {
        state.withLock { state in
            let active = state.touched.union(state.open.keys)
            state.touched = []
            return active.sorted()
        }
    }

    /// A report of `active` could not be delivered: they count again next time.
    public func putBack(_ active: [String]) {
        state.withLock { $0.touched.formUnion(active) }
    }

    /// `pool`'s deployment with a backend: woken if needed; nil if no instance accepted connections in time.
    func awaken(_ pool: BackendPool) async -> BackendPool? {
        let name = pool.name
        let task = state.withLock { state in
            if let inFlight = state.waking[name] { return inFlight }
            // Created under the lock, so it cannot remove its entry before the entry exists.
            let task = Task { [routes, wake, wakeTimeout, logger] () -> BackendPool? in
                defer { self.state.withLock { $0.waking[name] = nil } }
                let started = ContinuousClock.now
                do {
                    try await wake?(name)
                } catch {
                    logger.warning("A sleeping deployment could not be woken", metadata: ["deployment": "\(name)", "error": "\(error)"])
                    return nil
                }
                let woken = await routes.backends(ofDeployment: name, within: wakeTimeout)
                logger.info(woken == nil ? "A woken deployment did not accept connections in time" : "Woke a sleeping deployment",
                            metadata: ["deployment": "\(name)", "duration_ms": "\((ContinuousClock.now - started) / .milliseconds(1))"])
                return woken
            }
            state.waking[name] = task
            return task
        }
        return await task.value
    }
}

/// Tells Pomegranate, once a second, which sleeping-capable deployments had traffic, so it keeps them awake.
public struct ActivityReporter: Service {
    public typealias Report = @Sendable (_ deploymentIDs: [String]) async throws -> Void

    private let sleeping: SleepingDeployments
    private let interval: Duration
    private let report: Report

    public init(sleeping: SleepingDeployments, interval: Duration = .seconds(1), report: @escaping Report) {
        self.sleeping = sleeping
        self.interval = interval
        self.report = report
    }

    public func run() async throws {
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            let active = sleeping.takeActive()
            guard !active.isEmpty else { continue }
            do { try await report(active) } catch { sleeping.putBack(active) }
        }
    }
}
