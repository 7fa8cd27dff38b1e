import Logging
import NIOCore
import Synchronization
import Systemd

/// What every proxied connection shares: the routes, the settings, ACME challenge answers, metrics,
/// the access log, and the idle connections to instances (one pool per event loop, so no locking on
/// the request path).
final class ProxyEnvironment: Sendable {
    let routes: RouteTableStore
    let settings: EdgeSettings
    /// ACME HTTP-01: token → key authorization, for `/.well-known/acme-challenge/<token>`.
    let challengeAnswer: @Sendable (String) -> String?
    let metrics: EdgeMetrics
    /// Traffic of deployments that sleep when idle, and waking them.
    let sleeping: SleepingDeployments
    let logger: Logger
    private let pools = Mutex<[ObjectIdentifier: (eventLoop: EventLoop, pool: NIOLoopBound<UpstreamConnectionPool>)]>([:])
    /// Client connections, for a graceful stop: idle ones close at once, answers in progress finish first
    /// (``ProxyHandler`` for HTTP/1.1; for HTTP/2 a GOAWAY, then closed when its streams are done).
    let connections = ConnectionTracker()

    /// The edge is stopping: a connection whose handlers come after the stop began (one accepted just before
    /// the listeners closed, or a TLS connection done negotiating its protocol) drains as the others do.
    var isStopping: Bool { connections.isQuiescing }

    init(routes: RouteTableStore, settings: EdgeSettings, challengeAnswer: @escaping @Sendable (String) -> String?,
         metrics: EdgeMetrics, sleeping: SleepingDeployments, logger: Logger)
    {
        self.routes = routes
        self.sleeping = sleeping
        self.settings = settings
        self.challengeAnswer = challengeAnswer
        self.metrics = metrics
        self.logger = logger
        // A deploy's old instances stop once nothing to them is open: idle keep-alive connections must not count.
        routes.onBackendsRemoved { [weak self] removed in self?.closeIdleConnections(to: removed) }
    }

    /// On each event loop, closes the pool's idle connections to `backends`.
    private func closeIdleConnections(to backends: [Backend]) {
        for (eventLoop, pool) in pools.withLock({ $0.values.map { ($0.eventLoop, $0.pool) } }) {
            eventLoop.execute { pool.value.closeIdle(to: backends) }
        }
    }

    /// The idle-connection pool of `eventLoop`; call on that loop.
    func upstreamPool(on eventLoop: EventLoop) -> UpstreamConnectionPool {
        let key = ObjectIdentifier(eventLoop)
        if let bound = pools.withLock({ $0[key] }) { return bound.pool.value }
        let bound = NIOLoopBound(UpstreamConnectionPool(), eventLoop: eventLoop)
        return pools.withLock { pools in
            if pools[key] == nil { pools[key] = (eventLoop, bound) }
            return pools[key]!.pool  // safe: set just above if it was not there
        }.value
    }
}

/// The client side of one connection, as the proxy sees it.
struct ClientConnection {
    /// `http` or `https`.
    var scheme: String
    /// The client's address without port.
    var clientIP: String
    /// The local port the client connected to.
    var localPort: Int
    /// Each request arrives on its own HTTP/2 stream channel (no keep-alive bookkeeping, no upgrades).
    var isHTTP2: Bool

    init(channel: Channel, scheme: String, isHTTP2: Bool) {
        self.scheme = scheme
        self.isHTTP2 = isHTTP2
        let connection = isHTTP2 ? (channel.parent ?? channel) : channel
        clientIP = connection.remoteAddress?.ipAddress ?? "unknown"
        localPort = connection.localAddress?.port ?? 0
    }
}
