/// How long and how often ``ACMEClient`` waits for the server: authorization validation, order
/// finalization. A `Retry-After` from the server is honoured (up to ``maximumRetryAfter``), and no wait
/// goes past ``timeout``.
public struct ACMEPollingPolicy: Sendable, Equatable {
    /// The first pause between two polls when the server gives no `Retry-After`; doubles each time.
    public var interval: Duration
    /// The longest pause between two polls without `Retry-After`.
    public var maximumInterval: Duration
    /// The longest pause a server's `Retry-After` may impose.
    public var maximumRetryAfter: Duration
    /// How long one wait (for an authorization, or for the order) may last in total.
    public var timeout: Duration
    /// How long one HTTP request may last.
    public var requestTimeout: Duration

    public init(
        interval: Duration = .seconds(1),
        maximumInterval: Duration = .seconds(10),
        maximumRetryAfter: Duration = .seconds(60),
        timeout: Duration = .seconds(300),
        requestTimeout: Duration = .seconds(30)
    ) {
        self.interval = interval
        self.maximumInterval = maximumInterval
        self.maximumRetryAfter = maximumRetryAfter
        self.timeout = timeout
        self.requestTimeout = requestTimeout
    }
}
