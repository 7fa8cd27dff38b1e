import Foundation
import Postgres

extension PlatformStore {
    /// The owner of a key, as gitd needs it to authorise a push.
    public struct KeyOwner: Sendable {
        public var user: User
        public var key: SSHKey
    }

    /// Stores an already validated key (see `Credentials.SSHPublicKey`).
    public func addSSHKey(userID: Int64, value: String, fingerprint: String, keyType: String, comment: String) async throws -> SSHKey {
        try await Self.mapConflicts {
            let rows = try await database.query("""
                INSERT INTO ssh_keys (user_id, value, fingerprint, key_type, comment) VALUES ($1, $2, $3, $4, $5)
                RETURNING \(SSHKey.columns)
                """, [.int(userID), .text(value), .text(fingerprint), .text(keyType), .text(String(comment.prefix(200)))])
            return try SSHKey(row: rows[0])
        }
    }

    public func sshKeys(userID: Int64) async throws -> [SSHKey] {
        try await database.query("SELECT \(SSHKey.columns) FROM ssh_keys WHERE user_id = $1 ORDER BY id", [.int(userID)])
            .map(SSHKey.init(row:))
    }

    public func deleteSSHKey(id: Int64, userID: Int64) async throws -> Bool {
        try await database.execute("DELETE FROM ssh_keys WHERE id = $1 AND user_id = $2", [.int(id), .int(userID)]) > 0
    }

    /// Looks a key up by its SHA256 fingerprint and records its use. Disabled users own no keys.
    public func keyOwner(fingerprint: String) async throws -> KeyOwner? {
        let rows = try await database.query("""
            WITH k AS (UPDATE ssh_keys SET last_used_at = now() WHERE fingerprint = $1 RETURNING *)
            SELECT \(User.columns), k.id AS key_id, k.user_id AS key_user_id, k.value, k.fingerprint, k.key_type, k.comment,
                   k.created_at AS key_created_at, k.last_used_at
            FROM k JOIN users u ON u.id = k.user_id WHERE u.disabled_at IS NULL
            """, [.text(fingerprint)])
        return try rows.first.map { row in
            let key = SSHKey(
                id: try row.decode("key_id", as: Int64.self), userID: try row.decode("key_user_id", as: Int64.self),
                value: try row.decode("value", as: String.self), fingerprint: try row.decode("fingerprint", as: String.self),
                keyType: try row.decode("key_type", as: String.self), comment: try row.decode("comment", as: String.self),
                createdAt: try row.decode("key_created_at", as: Date.self), lastUsedAt: try row.decode("last_used_at", as: Date?.self))
            return KeyOwner(user: try User(row: row), key: key)
        }
    }
}

extension SSHKey {
    static let columns = "id, user_id, value, fingerprint, key_type, comment, created_at, last_used_at"

    init(row: PostgresRow) throws {
        self.init(
            id: try row.decode("id", as: Int64.self),
            userID: try row.decode("user_id", as: Int64.self),
            value: try row.decode("value", as: String.self),
            fingerprint: try row.decode("fingerprint", as: String.self),
            keyType: try row.decode("key_type", as: String.self),
            comment: try row.decode("comment", as: String.self),
            createdAt: try row.decode("created_at", as: Date.self),
            lastUsedAt: try row.decode("last_used_at", as: Date?.self))
    }
}
