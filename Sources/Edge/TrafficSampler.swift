import Foundation
import ServiceLifecycle

/// At the start of every minute, closes the minute that ended in every deployment's traffic history.
public struct TrafficSampler: Service {
    let metrics: EdgeMetrics

    public init(metrics: EdgeMetrics) {
        self.metrics = metrics
    }

    public func run() async throws {
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            let now = Date().timeIntervalSince1970
            let untilNextMinute = 60 - now.truncatingRemainder(dividingBy: 60)
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(Int(untilNextMinute * 1000) + 5)) }
            guard !Task.isCancelled, !Task.isShuttingDownGracefully else { return }
            metrics.closeMinute(endingAt: Date())
        }
    }
}
