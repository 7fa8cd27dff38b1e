import GRPCCore
import Logging
import PomegranateRPC
import ServiceLifecycle
import Synchronization

/// Follows Pomegranate's route table (WatchRoutes: the whole table, then again after each change) into
/// the ``RouteTableStore``. When Pomegranate restarts or is not up yet, the last table stays in force and
/// the watcher reconnects with backoff (0.1 s doubling to 5 s).
public struct PomegranateRouteWatcher: Service {
    private let socketPath: String
    private let routes: RouteTableStore
    private let logger: Logger

    public init(socketPath: String, routes: RouteTableStore, logger: Logger) {
        self.socketPath = socketPath
        self.routes = routes
        self.logger = logger
    }

    public func run() async throws {
        var delay: Duration = .milliseconds(100)
        var failures = 0
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            let received = Atomic<Bool>(false)
            do {
                try await cancelWhenGracefulShutdown {
                    try await PomegranateConnection.withClient(socketPath: socketPath) { pomegranate in
                        try await pomegranate.routes.watchRoutes(Paastech_Pomegranate_V1_WatchRoutesRequest()) { response in
                            for try await table in response.messages {
                                received.store(true, ordering: .relaxed)
                                routes.updateAppRoutes(table.routes.map {
                                    RouteSources.AppRoute(host: $0.host, deploymentID: $0.deploymentID, backends: $0.backends,
                                                          sleeps: $0.sleepAfterSeconds > 0, asleep: $0.asleep,
                                                          maxBodyBytes: $0.maxBodyBytes == 0 ? nil : Int(clamping: $0.maxBodyBytes))
                                }, version: table.version)
                            }
                        }
                    }
                }
            } catch {
                if Task.isCancelled || Task.isShuttingDownGracefully { break }
                // The first failure in a row is news; the retries after it are not.
                failures += 1
                logger.log(level: failures == 1 ? .notice : .debug, "Route stream from pomegranate lost; keeping the last table",
                           metadata: ["error": "\(error)", "retry_in": "\(delay)"])
            }
            if received.load(ordering: .relaxed) {
                delay = .milliseconds(100)
                failures = 0
            }
            // Cut short by a graceful shutdown: the edge's stop must not wait out the back-off.
            try? await cancelWhenGracefulShutdown { [delay] in try await Task.sleep(for: delay) }
            delay = min(delay * 2, .seconds(5))
        }
    }
}
