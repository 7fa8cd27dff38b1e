import Foundation
import ServiceLifecycle

/// Runs an action again and again until the service group shuts down: every `interval`, or just after
/// the start of every minute (for per-minute samples). A graceful shutdown interrupts the wait at once.
public struct PeriodicService: Service {
    public enum Schedule: Sendable {
        case every(Duration)
        case startOfEveryMinute
    }

    private let schedule: Schedule
    private let action: @Sendable () async -> Void

    public init(_ schedule: Schedule, action: @escaping @Sendable () async -> Void) {
        self.schedule = schedule
        self.action = action
    }

    public func run() async throws {
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: delay(now: Date())) }
            guard !Task.isCancelled, !Task.isShuttingDownGracefully else { return }
            await action()
        }
    }

    /// How long until the next run.
    func delay(now: Date) -> Duration {
        switch schedule {
        case .every(let interval):
            return interval
        case .startOfEveryMinute:
            let untilNextMinute = 60 - now.timeIntervalSince1970.truncatingRemainder(dividingBy: 60)
            return .milliseconds(Int(untilNextMinute * 1000) + 5)
        }
    }
}
