import Logging
import ServiceLifecycle
import Store

/// Deletes expired sessions periodically so the table does not grow without bound (expired ones
/// already authenticate nobody: this is housekeeping, not security).
public struct ExpiredSessionCleanup: Service {
    let store: PlatformStore
    let interval: Duration
    let logger: Logger

    public init(store: PlatformStore, interval: Duration = .seconds(3600), logger: Logger) {
        self.store = store
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let removed = try await store.deleteExpiredSessions()
                    if removed > 0 { logger.info("removed expired sessions", metadata: ["count": "\(removed)"]) }
                } catch {
                    logger.warning("could not remove expired sessions", metadata: ["error": "\(error)"])
                }
                try await Task.sleep(for: interval)
            }
        }
    }
}
