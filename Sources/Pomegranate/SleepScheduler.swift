import ServiceLifecycle

/// Once a second, puts idle deployments to sleep (``Supervisor/sleepIdleDeployments(now:)``).
public struct SleepScheduler: Service {
    let supervisor: Supervisor
    let interval: Duration

    public init(supervisor: Supervisor, interval: Duration = .seconds(1)) {
        self.supervisor = supervisor
        self.interval = interval
    }

    public func run() async throws {
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            await supervisor.sleepIdleDeployments()
        }
    }
}
