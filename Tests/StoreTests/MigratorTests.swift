import DevPlatform
import Foundation
import Logging
import Postgres
import Store
import Testing

@Suite("Migrations against a real PostgreSQL")
struct MigratorTests {
    let logger = Logger(label: "test")

    @Test("migrates an empty database, and a second run applies nothing")
    func migratesFromEmptyAndIsIdempotent() async throws {
        let database = PostgresClient(configuration: try await PostgresCluster.shared(), logger: logger)
        defer { database.close() }
        let first = try await Migrator(database: database, logger: logger).migrate()
        #expect(first.previousVersion == 0)
        #expect(first.applied == Migration.all.map(\.version))
        #expect(first.currentVersion == Migration.latestVersion)

        let second = try await Migrator(database: database, logger: logger).migrate()
        #expect(second.applied.isEmpty)
        #expect(second.previousVersion == Migration.latestVersion)

        let tables = try await database.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            .map { try $0.decode("tablename", as: String.self) }
        for table in ["users", "ssh_keys", "projects", "deployments", "sessions", "api_tokens", "releases", "domains",
                      "audit_log", "schema_migrations"] {
            #expect(tables.contains(table), "missing table \(table)")
        }
    }

    @Test("the seed data model's columns exist exactly as named")
    func seedColumns() async throws {
        let database = PostgresClient(configuration: try await PostgresCluster.shared(), logger: logger)
        defer { database.close() }
        try await Migrator(database: database, logger: logger).migrate()
        let expected: [String: [String]] = [
            "users": ["id", "username", "email", "password", "is_admin", "email_nonce", "password_nonce", "created_at", "updated_at"],
            "ssh_keys": ["id", "value", "created_at", "updated_at", "user_id", "fingerprint"],
            "projects": ["uuid", "name", "created_at", "updated_at", "user_id"],
            "deployments": ["uuid", "name", "config", "created_at", "updated_at", "project_uuid"],
        ]
        for (table, columns) in expected {
            let present = try await database.query(
                "SELECT column_name FROM information_schema.columns WHERE table_name = $1", [.text(table)])
                .map { try $0.decode("column_name", as: String.self) }
            for column in columns { #expect(present.contains(column), "\(table).\(column) missing") }
        }
        let isAdminDefault = try await database.query("""
            SELECT column_default FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'is_admin'
            """)[0].decode("column_default", as: String?.self)
        #expect(isAdminDefault == "false")
    }

    @Test("concurrent migrators serialise on the advisory lock")
    func concurrentMigrations() async throws {
        let database = PostgresClient(configuration: try await PostgresCluster.shared(), logger: logger)
        defer { database.close() }
        let reports = try await withThrowingTaskGroup(of: Migrator.Report.self) { group in
            for _ in 0..<3 { group.addTask { try await Migrator(database: database, logger: logger).migrate() } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(reports.filter { !$0.applied.isEmpty }.count == 1)
    }

    @Test("refuses a database newer than the binary, changing nothing")
    func refusesNewerDatabase() async throws {
        let database = PostgresClient(configuration: try await PostgresCluster.shared(), logger: logger)
        defer { database.close() }
        try await Migrator(database: database, logger: logger).migrate()
        try await database.execute("INSERT INTO schema_migrations (version, name) VALUES ($1, 'from_the_future')",
                                   [.int(Int64(Migration.latestVersion + 1))])
        await #expect(throws: MigrationError.self) {
            try await Migrator(database: database, logger: logger).migrate()
        }
        // A migration that fails midway leaves nothing behind either.
        let broken = Migration(version: Migration.latestVersion + 2, name: "broken",
                               sql: "CREATE TABLE half_done (id int); SELECT * FROM no_such_table;")
        await #expect(throws: MigrationError.self) {
            try await Migrator(database: database, migrations: Migration.all + [broken], logger: logger).migrate()
        }
        let halfDone = try await database.query("SELECT to_regclass('half_done')::text AS t")[0].decode("t", as: String?.self)
        #expect(halfDone == nil)
    }
}
