import Foundation
import Postgres

extension PlatformStore {
    /// A user with the stored password hash, for login only.
    public struct Credentials: Sendable {
        public var user: User
        public var passwordHash: String
    }

    public func createUser(username: String, email: String, passwordHash: String, isAdmin: Bool = false,
                           emailVerified: Bool = false) async throws -> User {
        let username = try Validation.name(username, field: "username")
        let email = try Validation.email(email)
        return try await Self.mapConflicts {
            let rows = try await database.query("""
                WITH u AS (
                    INSERT INTO users (username, email, password, is_admin, email_verified_at)
                    VALUES ($1, $2, $3, $4, CASE WHEN $5 THEN now() END) RETURNING *)
                SELECT \(User.columns) FROM u
                """, [.text(username), .text(email), .text(passwordHash), .bool(isAdmin), .bool(emailVerified)])
            return try User(row: rows[0])
        }
    }

    public func user(id: Int64) async throws -> User? {
        try await database.query("SELECT \(User.columns) FROM users u WHERE u.id = $1", [.int(id)])
            .first.map(User.init(row:))
    }

    public func user(username: String) async throws -> User? {
        try await database.query("SELECT \(User.columns) FROM users u WHERE u.username = $1", [.text(username)])
            .first.map(User.init(row:))
    }

    public func user(email: String) async throws -> User? {
        try await database.query("SELECT \(User.columns) FROM users u WHERE lower(u.email) = lower($1)", [.text(email)])
            .first.map(User.init(row:))
    }

    /// Finds a user by username or e-mail (case-insensitive e-mail) with the password hash.
    public func credentials(login: String) async throws -> Credentials? {
        let rows = try await database.query("""
            SELECT \(User.columns), u.password FROM users u
            WHERE u.username = $1 OR lower(u.email) = lower($1)
            """, [.text(login)])
        return try rows.first.map { Credentials(user: try User(row: $0), passwordHash: try $0.decode("password", as: String.self)) }
    }

    public func passwordHash(userID: Int64) async throws -> String? {
        try await database.query("SELECT password FROM users WHERE id = $1", [.int(userID)])
            .first?.decode("password", as: String.self)
    }

    public func setPassword(userID: Int64, passwordHash: String) async throws {
        try await database.execute("UPDATE users SET password = $2, updated_at = now() WHERE id = $1",
                                   [.int(userID), .text(passwordHash)])
    }

    /// Stores the hash of a new e-mail verification token (replacing any previous one), optionally
    /// for a new address that only becomes the user's e-mail once verified.
    public func setEmailNonce(userID: Int64, nonceHash: String, expiresAt: Date, pendingEmail: String? = nil) async throws {
        let pending = try pendingEmail.map { email throws(StoreError) in try Validation.email(email) }
        try await Self.mapConflicts {
            if let pending, try await database.query(
                "SELECT 1 FROM users WHERE lower(email) = lower($1) AND id <> $2", [.text(pending), .int(userID)]).first != nil {
                throw StoreError.conflict(field: "email", message: "that email address is already registered")
            }
            try await database.execute("""
                UPDATE users SET email_nonce = $2, email_nonce_expires_at = $3, pending_email = $4, updated_at = now()
                WHERE id = $1
                """, [.int(userID), .text(nonceHash), .date(expiresAt), pending.map { .text($0) } ?? .null])
        }
    }

    /// Consumes an e-mail verification token: single use, and only before it expires.
    public func verifyEmail(nonceHash: String) async throws -> User? {
        try await Self.mapConflicts {
            try await database.query("""
                WITH u AS (
                    UPDATE users SET email = coalesce(pending_email, email), pending_email = NULL,
                        email_verified_at = now(), email_nonce = NULL, email_nonce_expires_at = NULL, updated_at = now()
                    WHERE email_nonce = $1 AND email_nonce_expires_at > now() RETURNING *)
                SELECT \(User.columns) FROM u
                """, [.text(nonceHash)]).first.map(User.init(row:))
        }
    }

    /// Stores a password-reset token hash for the account with this e-mail, if any.
    public func setPasswordNonce(email: String, nonceHash: String, expiresAt: Date) async throws -> User? {
        try await database.query("""
            WITH u AS (
                UPDATE users SET password_nonce = $2, password_nonce_expires_at = $3, updated_at = now()
                WHERE lower(email) = lower($1) AND disabled_at IS NULL RETURNING *)
            SELECT \(User.columns) FROM u
            """, [.text(email), .text(nonceHash), .date(expiresAt)]).first.map(User.init(row:))
    }

    /// Consumes a password-reset token and sets the new password; all sessions of the user end.
    public func resetPassword(nonceHash: String, passwordHash: String) async throws -> User? {
        try await database.withTransaction { transaction in
            let rows = try await transaction.query("""
                WITH u AS (
                    UPDATE users SET password = $2, password_nonce = NULL, password_nonce_expires_at = NULL, updated_at = now()
                    WHERE password_nonce = $1 AND password_nonce_expires_at > now() RETURNING *)
                SELECT \(User.columns) FROM u
                """, [.text(nonceHash), .text(passwordHash)])
            guard let user = try rows.first.map(User.init(row:)) else { return nil }
            try await transaction.execute("DELETE FROM sessions WHERE user_id = $1", [.int(user.id)])
            return user
        }
    }

    /// Users for the admin list, optionally filtered by a substring of username or e-mail.
    public func users(search: String? = nil, limit: Int = 100, offset: Int = 0) async throws -> [User] {
        let pattern = search.map { "%" + $0.replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%" }
        return try await database.query("""
            SELECT \(User.columns) FROM users u
            WHERE $1::text IS NULL OR u.username ILIKE $1 OR u.email ILIKE $1
            ORDER BY u.id LIMIT $2 OFFSET $3
            """, [pattern.map { .text($0) } ?? .null, .int(Int64(limit)), .int(Int64(offset))]).map(User.init(row:))
    }

    /// Admin changes. Disabling a user ends their sessions at once.
    public func updateUser(id: Int64, isAdmin: Bool?, disabled: Bool?) async throws -> User? {
        try await database.withTransaction { transaction in
            try await Self.lockAccounts(transaction)
            let wasAdministrator = try await Self.isEnabledAdministrator(id, transaction)
            let rows = try await transaction.query("""
                WITH u AS (
                    UPDATE users SET is_admin = coalesce($2, is_admin),
                        disabled_at = CASE WHEN $3::boolean IS NULL THEN disabled_at WHEN $3::boolean THEN coalesce(disabled_at, now()) END,
                        updated_at = now()
                    WHERE id = $1 RETURNING *)
                SELECT \(User.columns) FROM u
                """, [.int(id), isAdmin.map { .bool($0) } ?? .null, disabled.map { .bool($0) } ?? .null])
            guard let user = try rows.first.map(User.init(row:)) else { return nil }
            if wasAdministrator { try await Self.requireAnAdministrator(transaction) }
            if user.disabled {
                try await transaction.execute("DELETE FROM sessions WHERE user_id = $1", [.int(id)])
            }
            return user
        }
    }

    public func deleteUser(id: Int64) async throws -> Bool {
        try await database.withTransaction { transaction in
            try await Self.lockAccounts(transaction)
            let wasAdministrator = try await Self.isEnabledAdministrator(id, transaction)
            guard try await transaction.execute("DELETE FROM users WHERE id = $1", [.int(id)]) > 0 else { return false }
            if wasAdministrator { try await Self.requireAnAdministrator(transaction) }
            return true
        }
    }

    /// Serialises changes to accounts, so two administrators demoting each other at once
    /// cannot both pass `requireAnAdministrator`.
    static func lockAccounts(_ transaction: PostgresTransaction) async throws {
        try await transaction.execute("SELECT pg_advisory_xact_lock($1)", [.int(0x7061_6173_7465_6375)])  // "paastecu"
    }

    static func isEnabledAdministrator(_ id: Int64, _ transaction: PostgresTransaction) async throws -> Bool {
        try await !transaction.query("SELECT 1 FROM users WHERE id = $1 AND is_admin AND disabled_at IS NULL", [.int(id)]).isEmpty
    }

    /// Inside a change that removed an enabled administrator (after `lockAccounts`): refuses, rolling the change back,
    /// if no enabled administrator would remain.
    static func requireAnAdministrator(_ transaction: PostgresTransaction) async throws {
        let admins = try await transaction.query("SELECT id FROM users WHERE is_admin AND disabled_at IS NULL LIMIT 1")
        guard !admins.isEmpty else {
            throw StoreError.conflict(field: "is_admin", message: "the platform must keep at least one enabled administrator")
        }
    }
}
