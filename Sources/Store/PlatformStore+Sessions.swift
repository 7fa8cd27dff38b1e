import Foundation
import Postgres

extension PlatformStore {
    /// Who a bearer credential belongs to.
    public struct Authentication: Sendable {
        public var user: User
        /// Set for session tokens (logout deletes it); nil for personal API tokens.
        public var sessionID: Int64?
    }

    public func createSession(userID: Int64, tokenHash: String, expiresAt: Date, remoteAddress: String,
                              userAgent: String) async throws {
        try await database.execute("""
            INSERT INTO sessions (token_hash, user_id, expires_at, remote_address, user_agent)
            VALUES ($1, $2, $3, $4, $5)
            """, [.text(tokenHash), .int(userID), .date(expiresAt), .text(remoteAddress), .text(String(userAgent.prefix(256)))])
    }

    /// The live session for this token hash; expired sessions and disabled users authenticate nobody.
    public func authenticateSession(tokenHash: String) async throws -> Authentication? {
        let rows = try await database.query("""
            WITH s AS (
                UPDATE sessions SET last_seen_at = now()
                WHERE token_hash = $1 AND expires_at > now() RETURNING id, user_id)
            SELECT \(User.columns), s.id AS session_id FROM s JOIN users u ON u.id = s.user_id
            WHERE u.disabled_at IS NULL
            """, [.text(tokenHash)])
        return try rows.first.map { Authentication(user: try User(row: $0), sessionID: try $0.decode("session_id", as: Int64.self)) }
    }

    public func deleteSession(id: Int64) async throws {
        try await database.execute("DELETE FROM sessions WHERE id = $1", [.int(id)])
    }

    /// Ends every session of a user but `except` (the one making the change).
    public func deleteSessions(userID: Int64, except sessionID: Int64? = nil) async throws {
        try await database.execute("DELETE FROM sessions WHERE user_id = $1 AND id IS DISTINCT FROM $2::bigint",
                                   [.int(userID), sessionID.map { .int($0) } ?? .null])
    }

    public func deleteExpiredSessions() async throws -> Int {
        try await database.execute("DELETE FROM sessions WHERE expires_at <= now()")
    }

    // MARK: Personal API tokens

    public func createAPIToken(userID: Int64, name: String, tokenHash: String, expiresAt: Date?) async throws -> APIToken {
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...100).contains(name.count), !name.contains(where: \.isNewline) else {
            throw StoreError.invalid(field: "name", message: "name must be 1 to 100 characters on one line")
        }
        let rows = try await database.query("""
            INSERT INTO api_tokens (user_id, name, token_hash, expires_at) VALUES ($1, $2, $3, $4)
            RETURNING id, user_id, name, created_at, expires_at, last_used_at
            """, [.int(userID), .text(name), .text(tokenHash), expiresAt.map { .date($0) } ?? .null])
        return try APIToken(row: rows[0])
    }

    public func authenticateAPIToken(tokenHash: String) async throws -> Authentication? {
        let rows = try await database.query("""
            WITH t AS (
                UPDATE api_tokens SET last_used_at = now()
                WHERE token_hash = $1 AND (expires_at IS NULL OR expires_at > now()) RETURNING user_id)
            SELECT \(User.columns) FROM t JOIN users u ON u.id = t.user_id WHERE u.disabled_at IS NULL
            """, [.text(tokenHash)])
        return try rows.first.map { Authentication(user: try User(row: $0), sessionID: nil) }
    }

    public func apiTokens(userID: Int64) async throws -> [APIToken] {
        try await database.query("""
            SELECT id, user_id, name, created_at, expires_at, last_used_at FROM api_tokens
            WHERE user_id = $1 ORDER BY id
            """, [.int(userID)]).map(APIToken.init(row:))
    }

    public func deleteAPIToken(id: Int64, userID: Int64) async throws -> Bool {
        try await database.execute("DELETE FROM api_tokens WHERE id = $1 AND user_id = $2", [.int(id), .int(userID)]) > 0
    }
}

extension APIToken {
    init(row: PostgresRow) throws {
        self.init(
            id: try row.decode("id", as: Int64.self),
            userID: try row.decode("user_id", as: Int64.self),
            name: try row.decode("name", as: String.self),
            createdAt: try row.decode("created_at", as: Date.self),
            expiresAt: try row.decode("expires_at", as: Date?.self),
            lastUsedAt: try row.decode("last_used_at", as: Date?.self))
    }
}
