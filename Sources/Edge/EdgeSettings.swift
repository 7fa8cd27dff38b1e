import NIOCore
import PlatformConfig

/// The proxy's limits, timeouts and response policies, from `[edge]` (and dev-mode overrides).
public struct EdgeSettings: Sendable {
    /// Largest request head; the HTTP decoder refuses larger ones and the client gets 431.
    public var maxHeaderBytes = 32 * 1024
    /// Largest request body unless the route's pool says otherwise; then 413.
    public var maxBodyBytes = 100 * 1024 * 1024
    /// A new connection must send its first request head within this.
    public var headerTimeout: TimeAmount = .seconds(15)
    /// An idle keep-alive connection is closed after this.
    public var idleTimeout: TimeAmount = .seconds(75)
    /// Connecting to an instance; then the next instance is tried.
    public var upstreamConnectTimeout: TimeAmount = .seconds(5)
    /// An instance must start its response within this; then 504.
    public var upstreamTimeout: TimeAmount = .seconds(60)
    /// On graceful shutdown: how long answers in progress (and tunnels) may go on before their connections close.
    public var shutdownTimeout: TimeAmount = .seconds(10)
    /// `Strict-Transport-Security` on HTTPS responses; nil for none.
    public var hsts: String? = "max-age=31536000"
    /// Plain HTTP redirects to HTTPS (308) instead of proxying.
    public var redirectHTTPToHTTPS = true
    /// The port HTTPS is reached on from outside, for redirects (nil: the default 443).
    public var publicHTTPSPort: Int?
    /// One log entry per request.
    public var accessLog = true

    public init() {}

    /// From the configuration file's `[edge]` table.
    public init(_ edge: PlatformConfiguration.Edge) {
        maxHeaderBytes = edge.maxHeaderKiB * 1024
        maxBodyBytes = edge.maxBodyMiB * 1024 * 1024
        headerTimeout = .seconds(Int64(edge.headerTimeoutSeconds))
        idleTimeout = .seconds(Int64(edge.idleTimeoutSeconds))
        upstreamConnectTimeout = .seconds(Int64(edge.upstreamConnectTimeoutSeconds))
        upstreamTimeout = .seconds(Int64(edge.upstreamTimeoutSeconds))
        shutdownTimeout = .seconds(Int64(edge.shutdownTimeoutSeconds))
        hsts = edge.hsts.isEmpty ? nil : edge.hsts
        redirectHTTPToHTTPS = edge.redirectHTTP
        publicHTTPSPort = edge.publicHTTPSPort
        accessLog = edge.accessLog
    }
}
