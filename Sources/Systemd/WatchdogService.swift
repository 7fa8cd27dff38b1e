import Logging
import ServiceLifecycle

/// Keeps the systemd watchdog (`WatchdogSec=`) fed: sends `WATCHDOG=1` at half the configured interval
/// until graceful shutdown begins. Without a configured watchdog it idles until shutdown: a
/// `ServiceGroup` treats a service that returns early as a failure.
///
/// Add it to the daemon's `ServiceGroup`. Because it runs on the same cooperative pool as the daemon's
/// work, a process that stops making progress stops pinging and systemd restarts it.
public struct WatchdogService: Service {
    private let notifier: SystemdNotifier
    private let logger: Logger

    /// - Parameters:
    ///   - notifier: Sends the keep-alives.
    ///   - logger: Reports the interval and failed pings.
    public init(notifier: SystemdNotifier = SystemdNotifier(), logger: Logger) {
        self.notifier = notifier
        self.logger = logger
    }

    /// Pings until graceful shutdown or cancellation. Throws only when the watchdog variables are malformed.
    public func run() async throws {
        guard let interval = try notifier.watchdogInterval else {
            logger.debug("No systemd watchdog configured; watchdog service is idle")
            try? await gracefulShutdown()
            return
        }
        // Half the interval, as sd_watchdog_enabled(3) recommends, so one late ping is not fatal.
        let period = interval / 2
        logger.debug("Feeding the systemd watchdog", metadata: ["period": "\(period)"])
        let notifier = self.notifier
        let logger = self.logger
        do {
            try await cancelWhenGracefulShutdown {
                while true {
                    do {
                        try notifier.watchdog()
                    } catch {
                        // A lost ping is not a reason to stop serving; systemd decides if we are late.
                        logger.warning("Could not ping the systemd watchdog", metadata: ["error": "\(error)"])
                    }
                    try await Task.sleep(for: period)
                }
            }
        } catch is CancellationError {
            return
        }
    }
}
