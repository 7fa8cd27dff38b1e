import InternalAPIClient
import Logging
import ServiceLifecycle

/// Polls the API's internal socket for the host names it maps to deployments (custom domains and
/// `<project>.<apps-domain>`) every few seconds. When the API is away the last aliases stay in force.
public struct APIAliasWatcher: Service {
    private let client: InternalAPIClient
    private let routes: RouteTableStore
    private let interval: Duration
    private let logger: Logger

    public init(client: InternalAPIClient, routes: RouteTableStore, interval: Duration = .seconds(3), logger: Logger) {
        self.client = client
        self.routes = routes
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        var failing = false
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            do {
                // Cancelled by a graceful shutdown: while the API is unreachable a request retries for up to 10 s.
                let hosts = try await cancelWhenGracefulShutdown { try await client.edgeHosts() }
                routes.updateAliases(hosts.map { RouteSources.Alias(host: $0.host, deploymentID: $0.deploymentID.uuidString.lowercased()) })
                if failing { logger.notice("API reachable again; aliases updated") }
                failing = false
            } catch {
                if Task.isCancelled || Task.isShuttingDownGracefully { break }
                if !failing {
                    logger.notice("Cannot read host aliases from the API; keeping the last ones", metadata: ["error": "\(error)"])
                }
                failing = true
            }
            // Cut short by a graceful shutdown: the edge's stop must not wait out the interval.
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
