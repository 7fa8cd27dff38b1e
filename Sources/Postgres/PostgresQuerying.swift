/// What the client and a transaction both do: run one parameterised statement. Code that works
/// either inside or outside a transaction takes `some PostgresQuerying`.
public protocol PostgresQuerying: Sendable {
    /// Runs one statement and returns its rows.
    func query(_ sql: String, _ parameters: [PostgresValue]) async throws -> [PostgresRow]
    /// Runs one statement and returns how many rows it inserted, updated, deleted or selected.
    @discardableResult
    func execute(_ sql: String, _ parameters: [PostgresValue]) async throws -> Int
}

extension PostgresQuerying {
    /// Runs one statement with plain Swift values as parameters (`[id, name, createdAt]`).
    public func query(_ sql: String, _ parameters: [any PostgresEncodable]) async throws -> [PostgresRow] {
        try await query(sql, parameters.map(\.postgresValue))
    }

    /// Runs one statement with plain Swift values as parameters and returns the affected row count.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [any PostgresEncodable]) async throws -> Int {
        try await execute(sql, parameters.map(\.postgresValue))
    }
}

extension PostgresClient: PostgresQuerying {}
extension PostgresTransaction: PostgresQuerying {}
