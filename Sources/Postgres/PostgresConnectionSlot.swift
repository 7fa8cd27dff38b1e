import CPostgres
import Foundation
import Logging
import Synchronization

/// One place in the pool: a worker thread and the connection it owns.
///
/// The connection is opened lazily, checked before each use, and replaced when it broke; all of that
/// happens on the slot's own thread, never on the caller's.
final class PostgresConnectionSlot: @unchecked Sendable {
    /// How a job may treat the slot's connection.
    enum Reuse {
        /// Start of a unit of work: replace a dead connection, roll back a transaction someone left open.
        case reconnectIfNeeded
        /// Inside a transaction: the same session or nothing, since a new one would silently run outside it.
        case sameConnection
    }

    private struct CancellationState {
        var handle: PostgresCancelHandle?
        var runningJob: UInt64?
        var lastJob: UInt64 = 0
    }

    private let worker: PostgresWorkerThread
    private let configuration: PostgresConfiguration
    private let logger: Logger
    // safe: `connection` is read and written only by jobs on `worker`, which run one at a time.
    private var connection: PostgresConnection?
    private let cancellation = Mutex(CancellationState())

    init(number: Int, configuration: PostgresConfiguration, logger: Logger) {
        self.worker = PostgresWorkerThread(name: "postgres-\(number)")
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "postgres.slot"] = "\(number)"
        self.logger = logger
    }

    /// Runs `body` with the connection on the slot's thread.
    ///
    /// When `cancellable`, the task must not be cancelled yet, and cancelling it while the statement
    /// runs sends a PostgreSQL cancel request (the statement then fails with SQLSTATE 57014).
    func run<T: Sendable>(
        _ reuse: Reuse = .reconnectIfNeeded, cancellable: Bool = true,
        _ body: @escaping @Sendable (PostgresConnection) throws -> T
    ) async throws -> T {
        if cancellable { try Task.checkCancellation() }
        let job = cancellation.withLock { state in
            state.lastJob += 1
            return state.lastJob
        }
        let operation = { try await self.worker.run { try self.perform(job: job, reuse, body) } }
        guard cancellable else { return try await operation() }
        return try await withTaskCancellationHandler(operation: operation) {
            // PQcancel blocks on a new socket: send it from a short-lived thread, not the cancelling one.
            Thread.detachNewThread { self.cancel(job: job) }
        }
    }

    /// Closes the connection and ends the thread once queued jobs are done (without waiting for that).
    func shutdown() {
        worker.stop { self.disconnect() }
    }

    // MARK: On the worker thread

    private func perform<T>(
        job: UInt64, _ reuse: Reuse, _ body: (PostgresConnection) throws -> T
    ) throws -> T {
        let connection = try usableConnection(reuse)
        cancellation.withLock { $0.runningJob = job }
        defer { cancellation.withLock { $0.runningJob = nil } }
        do {
            return try body(connection)
        } catch {
            if connection.isBroken {
                logger.warning("PostgreSQL connection lost; it will be replaced on next use", metadata: [
                    "postgres.error": "\(error)",
                ])
                disconnect()
            }
            throw error
        }
    }

    private func usableConnection(_ reuse: Reuse) throws -> PostgresConnection {
        if let connection, connection.isAlive() {
            if reuse == .reconnectIfNeeded, connection.transactionStatus != PQTRANS_IDLE {
                logger.warning("a transaction was left open on a pooled connection; rolling it back")
                try connection.runSimple("ROLLBACK")
            }
            return connection
        }
        if connection != nil {
            logger.info("PostgreSQL connection found dead; reconnecting")
            disconnect()
        }
        if reuse == .sameConnection {
            throw PostgresError(kind: .connectionLost, message: "the connection broke in the middle of a transaction")
        }
        let connection = try PostgresConnection.connect(configuration, logger: logger)
        logger.debug("PostgreSQL connection opened", metadata: ["postgres.backend_pid": "\(connection.backendPID)"])
        self.connection = connection
        cancellation.withLock { $0.handle = connection.makeCancelHandle() }
        return connection
    }

    private func disconnect() {
        cancellation.withLock { $0.handle = nil }
        connection = nil  // deinit calls PQfinish
    }

    // MARK: From any thread

    private func cancel(job: UInt64) {
        // Holding the lock while cancelling keeps the next job from starting until the request was
        // delivered; a cancel arriving at an idle backend is ignored by PostgreSQL.
        cancellation.withLock { state in
            guard state.runningJob == job, let handle = state.handle else { return }
            handle.cancel()
        }
    }
}
