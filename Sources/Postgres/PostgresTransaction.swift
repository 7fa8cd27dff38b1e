import Synchronization

/// The connection of one ``PostgresClient/withTransaction(isolation:_:)`` call.
///
/// Statements run in order on the transaction's connection. It must not escape the closure: once the
/// transaction ended, every call throws ``PostgresError/Kind/clientClosed``.
public final class PostgresTransaction: Sendable {
    private let slot: PostgresConnectionSlot
    private let isOpen = Mutex(true)

    init(slot: PostgresConnectionSlot) {
        self.slot = slot
    }

    /// Runs one statement in the transaction and returns its rows.
    public func query(_ sql: String, _ parameters: [PostgresValue] = []) async throws -> [PostgresRow] {
        try await run(sql, parameters).rows
    }

    /// Runs one statement in the transaction and returns the number of rows it affected.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [PostgresValue] = []) async throws -> Int {
        try await run(sql, parameters).affectedRows
    }

    /// Runs a trusted SQL script of several statements (a migration) in the transaction, through the
    /// simple-query protocol. It takes no parameters: never build `script` from input.
    public func executeScript(_ script: String) async throws {
        try checkOpen(script)
        _ = try await slot.run(.sameConnection) { try $0.runSimple(script) }
    }

    /// Queues a notification that PostgreSQL delivers when (and only if) the transaction commits.
    public func notify(channel: String, payload: String = "") async throws {
        _ = try await run("SELECT pg_notify($1, $2)", [.text(channel), .text(payload)])
    }

    func end() {
        isOpen.withLock { $0 = false }
    }

    private func run(_ sql: String, _ values: [PostgresValue]) async throws -> PostgresConnection.Result {
        try checkOpen(sql)
        return try await slot.run(.sameConnection) { try $0.execute(sql, values) }
    }

    private func checkOpen(_ sql: String) throws {
        guard isOpen.withLock({ $0 }) else {
            throw PostgresError(
                kind: .clientClosed, message: "the transaction already ended; use it only inside withTransaction",
                statement: sql)
        }
    }
}
