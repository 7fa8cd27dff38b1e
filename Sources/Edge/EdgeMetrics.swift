import Metrics

/// Prometheus metrics of the edge (through swift-metrics): requests by deployment and status class,
/// and a latency histogram per deployment. Exported on the edge's internal metrics endpoint.
public final class EdgeMetrics: Sendable {
    public init() {}

    /// One request answered. `pool` is the deployment id or platform service, nil when the edge answered
    /// on its own (unknown host, redirect, limits).
    func requestFinished(pool: String?, status: UInt, seconds: Double) {
        let deployment = pool ?? "none"
        let statusClass = "\(status / 100)xx"
        Counter(label: "paastech_edge_requests_total", dimensions: [("deployment", deployment), ("status", statusClass)])
            .increment()
        if pool != nil {
            Timer(label: "paastech_edge_request_duration_seconds", dimensions: [("deployment", deployment)])
                .recordNanoseconds(Int64(seconds * 1e9))
        }
    }
}
