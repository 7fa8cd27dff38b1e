import AsyncHTTPClient
import Foundation
import Hummingbird
import NIOFoundationCompat

/// A deployment's last hour, minute by minute, for the console's charts: requests, 5xx answers and latency
/// from the edge (its internal socket), memory and CPU from Pomegranate. A part whose service cannot be
/// reached is simply missing; the minute in progress comes last.
extension ControlPlane {
    func addMetricsRoutes(to v1: RouterGroup<APIRequestContext>) {
        v1.get("deployments/:uuid/metrics") { _, context in
            let (deployment, _) = try await requireDeployment(context)
            let id = deployment.uuid.uuidString.lowercased()
            async let traffic = edgeTraffic(deploymentID: id)
            async let usage = try? agents.usage(deploymentID: deployment.uuid)
            var minutes: [Int64: MetricsMinuteBody] = [:]
            for minute in await traffic {
                minutes[minute.start, default: MetricsMinuteBody(start: minute.start)].add(traffic: minute)
            }
            let now = Date().timeIntervalSince1970
            for minute in await usage ?? [] {
                // The minute in progress has run for less than 60 s.
                let elapsed = min(60, max(1, now - Double(minute.startUnix)))
                minutes[minute.startUnix, default: MetricsMinuteBody(start: minute.startUnix)].add(memoryBytes: minute.memoryBytes,
                                                                                                    cpuPercent: minute.cpuSeconds / elapsed * 100)
            }
            let hourAgo = Int64(now) / 60 * 60 - 3600
            return MetricsBody(minutes: minutes.values.filter { $0.start > hourAgo }.sorted { $0.start < $1.start })
        }
    }

    /// The edge's `GET /internal/v1/traffic/<deployment>`; empty when the edge cannot be reached.
    func edgeTraffic(deploymentID: String) async -> [EdgeTrafficMinute] {
        guard let url = URL(httpURLWithSocketPath: configuration.paths.edgeSocket, uri: "/internal/v1/traffic/\(deploymentID)") else { return [] }
        do {
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url.absoluteString), timeout: .seconds(5))
            guard response.status == .ok else { return [] }
            let body = try await response.body.collect(upTo: 1 << 20)
            return try JSONDecoder().decode([String: [EdgeTrafficMinute]].self, from: Data(buffer: body))["minutes"] ?? []
        } catch {
            return []
        }
    }
}

/// One minute as the edge reports it.
struct EdgeTrafficMinute: Decodable {
    var start: Int64
    var requests: Int
    var errors: Int
    var latencyMsMean: Double
    var latencyMsMax: Double
    enum CodingKeys: String, CodingKey {
        case start, requests, errors, latencyMsMean = "latency_ms_mean", latencyMsMax = "latency_ms_max"
    }
}

struct MetricsMinuteBody: Codable, Sendable {
    var start: Int64
    var requests: Int?
    var errors: Int?
    var latencyMsMean: Double?
    var latencyMsMax: Double?
    var memoryBytes: UInt64?
    var cpuPercent: Double?
    enum CodingKeys: String, CodingKey {
        case start, requests, errors, latencyMsMean = "latency_ms_mean", latencyMsMax = "latency_ms_max",
             memoryBytes = "memory_bytes", cpuPercent = "cpu_percent"
    }

    init(start: Int64) {
        self.start = start
    }

    mutating func add(traffic: EdgeTrafficMinute) {
        requests = traffic.requests; errors = traffic.errors
        latencyMsMean = traffic.latencyMsMean; latencyMsMax = traffic.latencyMsMax
    }

    mutating func add(memoryBytes: UInt64, cpuPercent: Double) {
        self.memoryBytes = memoryBytes
        self.cpuPercent = (cpuPercent * 10).rounded() / 10
    }
}

struct MetricsBody: ResponseCodable {
    /// Oldest first; `start` in seconds since 1970.
    var minutes: [MetricsMinuteBody]
}
