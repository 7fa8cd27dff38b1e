import CPostgres
import Logging
import Synchronization

/// A pooled PostgreSQL client on libpq.
///
/// Every libpq call runs on a dedicated thread per connection (never on an event loop or Swift's
/// cooperative pool). SQL is always parameterised (`$1`, `$2`...) and sent one statement at a time.
///
/// ```swift
/// let db = PostgresClient(configuration: .unixSocket(), logger: logger)
/// let rows = try await db.query("SELECT name FROM users WHERE id = $1", [id])
/// let name = try rows.first?.decode("name", as: String.self)
/// ```
public final class PostgresClient: Sendable {
    /// The configuration this client was created with.
    public let configuration: PostgresConfiguration
    private let logger: Logger
    private let pool: PostgresConnectionPool
    private let state = Mutex(State())

    private struct State {
        var isClosed = false
        var listeners: [UInt64: PostgresListener] = [:]
        var nextListenerID: UInt64 = 0
    }

    /// Creates the client. No connection is opened until the first statement needs one.
    public init(configuration: PostgresConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.pool = PostgresConnectionPool(configuration: configuration, logger: logger)
    }

    deinit {
        pool.close()
        for listener in state.withLock({ Array($0.listeners.values) }) { listener.stop() }
    }

    /// How many callers are waiting for a free connection (all `poolSize` are busy).
    public var waitingCallers: Int { pool.waitingCallers }

    /// Runs one statement and returns its rows.
    ///
    /// Parameters are given as ``PostgresValue``s (`[.int(id), .text(name)]`) or, through the overload
    /// below, as plain Swift values (`[id, name]`). Cancelling the calling task cancels the statement
    /// on the server.
    public func query(_ sql: String, _ parameters: [PostgresValue] = []) async throws -> [PostgresRow] {
        try await run(sql, parameters).rows
    }

    /// Runs one statement and returns how many rows it inserted, updated, deleted or selected.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [PostgresValue] = []) async throws -> Int {
        try await run(sql, parameters).affectedRows
    }

    /// Runs a trusted SQL script of several statements (a migration) through the simple-query
    /// protocol, as one implicit transaction. It takes no parameters: never build `script` from input.
    public func executeScript(_ script: String) async throws {
        let slot = try await pool.lease()
        defer { pool.release(slot) }
        _ = try await slot.run { try $0.runSimple(script) }
    }

    /// Runs `body` in a transaction on one pinned connection: `BEGIN`, then `COMMIT` when `body`
    /// returns, or `ROLLBACK` when it throws (the error is rethrown).
    ///
    /// If a statement inside failed but `body` caught the error, PostgreSQL turns the COMMIT into a
    /// ROLLBACK: this is reported by throwing a ``PostgresError`` of kind ``PostgresError/Kind/transactionRolledBack``.
    public func withTransaction<T: Sendable>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresTransaction) async throws -> T
    ) async throws -> T {
        let slot = try await pool.lease()
        defer { pool.release(slot) }
        _ = try await slot.run { try $0.execute("BEGIN", []) }
        let transaction = PostgresTransaction(slot: slot)
        let value: T
        do {
            value = try await body(transaction)
        } catch {
            transaction.end()
            await rollback(on: slot)
            throw error
        }
        transaction.end()
        do {
            let result = try await slot.run(.sameConnection) { try $0.execute("COMMIT", []) }
            guard result.commandTag == "ROLLBACK" else { return value }
        } catch {
            await rollback(on: slot)
            throw error
        }
        throw PostgresError(
            kind: .transactionRolledBack,
            message: "COMMIT rolled back the transaction because a statement inside it had failed")
    }

    /// Listens for `NOTIFY` on `channel` over a dedicated connection.
    ///
    /// Returns once `LISTEN` is active, so notifications sent after this returns are delivered, in
    /// order. The stream ends (and its connection closes) when the consuming task is cancelled or stops
    /// iterating, or when the client is closed; it fails if the connection breaks (notifications sent
    /// while disconnected would be lost, so it does not silently reconnect: listen again).
    public func listen(channel: String) async throws -> AsyncThrowingStream<PostgresNotification, Error> {
        _ = try PostgresListener.quotedIdentifier(forChannel: channel)
        let id = state.withLock { state in
            state.nextListenerID += 1
            return state.nextListenerID
        }
        let listener = try PostgresListener(channel: channel, configuration: configuration, logger: logger) {
            [weak self] in
            _ = self?.state.withLock { $0.listeners.removeValue(forKey: id) }
        }
        let isClosed = state.withLock { state in
            if !state.isClosed { state.listeners[id] = listener }
            return state.isClosed
        }
        guard !isClosed else { throw Self.closedError }
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: PostgresNotification.self)
        continuation.onTermination = { _ in listener.stop() }
        try await listener.start(delivering: continuation)
        return stream
    }

    /// Sends `payload` to every session listening on `channel` (`SELECT pg_notify($1, $2)`).
    /// Inside a transaction, use ``PostgresTransaction/notify(channel:payload:)`` so it is sent on COMMIT.
    public func notify(channel: String, payload: String = "") async throws {
        _ = try await run("SELECT pg_notify($1, $2)", [.text(channel), .text(payload)])
    }

    /// Checks the database answers (`SELECT 1`), for health endpoints.
    public func ping() async throws {
        _ = try await run("SELECT 1", [])
    }

    /// Ends all listen streams and closes every connection once its running statement finishes
    /// (on the connection threads; this returns at once). Later calls fail with
    /// ``PostgresError/Kind/clientClosed``.
    public func close() {
        let listeners = state.withLock { state in
            state.isClosed = true
            return Array(state.listeners.values)
        }
        for listener in listeners { listener.stop() }
        pool.close()
    }

    private func run(_ sql: String, _ values: [PostgresValue]) async throws -> PostgresConnection.Result {
        let slot = try await pool.lease()
        defer { pool.release(slot) }
        return try await slot.run { try $0.execute(sql, values) }
    }

    /// Rolls back whatever is open; never cancelled, since leaving a transaction open would poison the slot.
    private func rollback(on slot: PostgresConnectionSlot) async {
        do {
            try await slot.run(.sameConnection, cancellable: false) { connection in
                if connection.transactionStatus != PQTRANS_IDLE { try connection.runSimple("ROLLBACK") }
            }
        } catch {
            logger.warning("ROLLBACK failed; the connection will be replaced", metadata: ["postgres.error": "\(error)"])
        }
    }

    private static var closedError: PostgresError {
        PostgresError(kind: .clientClosed, message: "the PostgresClient was closed")
    }
}
