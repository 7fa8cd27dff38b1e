import Foundation
import Logging
import Postgres

/// One schema change, embedded in the binary from `Embedded/migrations/NNNN_name.sql`.
public struct Migration: Sendable, Equatable {
    public var version: Int
    public var name: String
    public var sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// Every migration this binary knows, in version order.
    public static let all: [Migration] = EmbeddedFiles.contents
        .compactMap { path, sql -> Migration? in
            guard path.hasPrefix("migrations/"), path.hasSuffix(".sql") else { return nil }
            let file = path.dropFirst("migrations/".count).dropLast(".sql".count)
            guard let underscore = file.firstIndex(of: "_"), let version = Int(file[..<underscore]) else { return nil }
            return Migration(version: version, name: String(file[file.index(after: underscore)...]), sql: sql)
        }
        .sorted { $0.version < $1.version }

    public static var latestVersion: Int { all.last?.version ?? 0 }
}

/// Why the schema could not be brought up to date.
public enum MigrationError: Error, CustomStringConvertible {
    case databaseNewerThanBinary(databaseVersion: Int, binaryVersion: Int)
    case failed(version: Int, name: String, underlying: any Error)

    public var description: String {
        switch self {
        case .databaseNewerThanBinary(let database, let binary):
            "the database schema is at version \(database) but this paastech binary only knows up to \(binary): "
                + "upgrade paastech instead of running an older binary against a newer database"
        case .failed(let version, let name, let underlying):
            "migration \(version) (\(name)) failed and was rolled back: \(underlying)"
        }
    }
}

/// Applies the embedded migrations in one transaction, serialised across processes by an
/// advisory lock, so `paastech migrate` and an API start-up can race safely.
public struct Migrator: Sendable {
    public struct Report: Sendable, Equatable {
        public var previousVersion: Int
        public var currentVersion: Int
        public var applied: [Int]
    }

    private let database: PostgresClient
    private let migrations: [Migration]
    private let logger: Logger

    /// Arbitrary constant naming our advisory lock ("paastech" in ASCII).
    private static let advisoryLockKey: Int64 = 0x7061_6173_7465_6368

    public init(database: PostgresClient, migrations: [Migration] = Migration.all, logger: Logger) {
        self.database = database
        self.migrations = migrations.sorted { $0.version < $1.version }
        self.logger = logger
    }

    @discardableResult
    public func migrate() async throws -> Report {
        let binaryVersion = migrations.last?.version ?? 0
        return try await database.withTransaction { transaction in
            try await transaction.execute("SELECT pg_advisory_xact_lock($1)", [.int(Self.advisoryLockKey)])
            try await transaction.execute("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version    INTEGER PRIMARY KEY,
                    name       TEXT NOT NULL,
                    applied_at TIMESTAMPTZ NOT NULL DEFAULT now())
                """)
            let rows = try await transaction.query("SELECT coalesce(max(version), 0) AS version FROM schema_migrations")
            let current = Int(try rows.first?.decode("version", as: Int64.self) ?? 0)
            guard current <= binaryVersion else {
                throw MigrationError.databaseNewerThanBinary(databaseVersion: current, binaryVersion: binaryVersion)
            }
            var applied: [Int] = []
            for migration in migrations where migration.version > current {
                do {
                    try await transaction.executeScript(migration.sql)
                    try await transaction.execute(
                        "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                        [.int(Int64(migration.version)), .text(migration.name)])
                } catch {
                    throw MigrationError.failed(version: migration.version, name: migration.name, underlying: error)
                }
                logger.info("applied migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
                applied.append(migration.version)
            }
            return Report(previousVersion: current, currentVersion: max(current, binaryVersion), applied: applied)
        }
    }
}
