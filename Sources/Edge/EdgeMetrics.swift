import Foundation
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
        /// The last hour, minute by minute, for the console's charts.
        let traffic = TrafficCounters()

        init(name: String) {
            requests = (1...5).map {
                Counter(label: "paastech_edge_requests_total", dimensions: [("deployment", name), ("status", "\($0)xx")])
            }
            duration = Timer(label: "paastech_edge_request_duration_seconds", dimensions: [("deployment", name)])
        }

        func record(status: UInt, seconds: Double?) {
            requests[Int(min(max(status / 100, 1), 5)) - 1].increment()
            if let seconds {
                duration.recordNanoseconds(Int64(seconds * 1e9))
                traffic.record(status: status, seconds: seconds)
            }
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

    /// The last hour of `name`'s traffic, minute by minute, the minute in progress last; empty for a
    /// deployment that had no request since the edge started.
    public func traffic(of name: String, now: Date = Date()) -> [TrafficMinute] {
        guard let known = deployments.withLock({ $0[name] }) else { return [] }
        return known.traffic.history() + [known.traffic.current(start: Self.minuteStart(now))]
    }

    /// Closes the minute that just ended for every deployment (once a minute, by a `PeriodicService` of the edge).
    public func closeMinute(endingAt now: Date) {
        let start = Self.minuteStart(now) - 60
        for deployment in deployments.withLock({ Array($0.values) }) { deployment.traffic.close(start: start) }
    }

    static func minuteStart(_ date: Date) -> Int64 { Int64(date.timeIntervalSince1970) / 60 * 60 }

    /// A request the edge answered itself.
    func localAnswer(status: UInt) { local.record(status: status, seconds: nil) }
}
