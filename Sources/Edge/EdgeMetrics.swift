import Metrics
import Synchronization

/// Prometheus metrics of the edge (through swift-metrics): requests by deployment and status class, and a
/// latency histogram per deployment. Exported on the edge's internal metrics endpoint.
///
/// The metric objects of each deployment are made once and kept: looking them up in the registry on every
/// request would take its lock and hash the labels each time.
public final class EdgeMetrics: Sendable {
    /// The counters (1xx to 5xx) and latency timer of one deployment.
    final class Deployment: Sendable {
        let requests: [Counter]
        let duration: Timer

        init(name: String) {
            requests = (1...5).map {
                Counter(label: "paastech_edge_requests_total", dimensions: [("deployment", name), ("status", "\($0)xx")])
            }
            duration = Timer(label: "paastech_edge_request_duration_seconds", dimensions: [("deployment", name)])
        }

        func record(status: UInt, seconds: Double?) {
            requests[Int(min(max(status / 100, 1), 5)) - 1].increment()
            if let seconds { duration.recordNanoseconds(Int64(seconds * 1e9)) }
        }
    }

    private let deployments = Mutex<[String: Deployment]>([:])
    /// Requests the edge answered on its own (unknown host, redirect, limits).
    private let local = Deployment(name: "none")

    public init() {}

    /// The metrics of `name` (a deployment id or platform service), made on first use.
    func deployment(_ name: String) -> Deployment {
        if let known = deployments.withLock({ $0[name] }) { return known }
        let made = Deployment(name: name)
        return deployments.withLock { deployments in
            if let known = deployments[name] { return known }
            deployments[name] = made
            return made
        }
    }

    /// A request the edge answered itself.
    func localAnswer(status: UInt) { local.record(status: status, seconds: nil) }
}
