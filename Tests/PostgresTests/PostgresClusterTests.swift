import DevPlatform
import Foundation
import Logging
import Postgres
import Testing

@Suite("PostgresCluster: a private PostgreSQL on a Unix socket")
struct PostgresClusterTests {
    @Test("start, stop and start again keeps the data; starting a running cluster reuses it")
    func restartKeepsData() async throws {
        // Deep enough that <directory>/run/.s.PGSQL.5432 does not fit sun_path: exercises the /tmp fallback.
        let root = URL(fileURLWithPath: "/tmp/paastech-cluster-test-\(UUID().uuidString)")
        let directory = root.appendingPathComponent(String(repeating: "deep", count: 20))
        defer { try? FileManager.default.removeItem(at: root) }
        let cluster = PostgresCluster(directory: directory, durable: false)
        #expect(cluster.socketDirectory.path.hasPrefix("/tmp/paastech-pg-"))
        #expect(PostgresCluster(directory: directory).socketDirectory == cluster.socketDirectory)
        defer { try? cluster.stop(); try? FileManager.default.removeItem(at: cluster.socketDirectory) }

        try await onThread { _ = try cluster.start() }
        let versionFile = cluster.dataDirectory.appendingPathComponent("PG_VERSION").path
        let created = try FileManager.default.attributesOfItem(atPath: versionFile)[.modificationDate] as? Date
        let configuration = try await cluster.createDatabase(name: "keep", poolSize: 2)
        try await withClient(configuration) { db in
            try await db.execute("CREATE TABLE notes (body text)")
            try await db.execute("INSERT INTO notes VALUES ($1)", ["survives restarts"])
            // Peer authentication as the calling OS user, and no TCP listener.
            let row = try await db.query("SELECT current_user AS me, current_setting('listen_addresses') AS tcp")[0]
            #expect(try row.decode("me", as: String.self) == ProcessInfo.processInfo.userName)
            #expect(try row.decode("tcp", as: String.self) == "")
        }

        try await onThread { _ = try cluster.start() }  // already running: reused
        try await onThread { try cluster.stop() }
        await #expect(throws: PostgresError.self) { try await withClient(configuration) { try await $0.ping() } }
        try await onThread { _ = try cluster.start() }
        #expect(try FileManager.default.attributesOfItem(atPath: versionFile)[.modificationDate] as? Date == created)
        try await cluster.createDatabase(name: "keep")  // exists: no error
        try await withClient(configuration) { db in
            let body = try await db.query("SELECT body FROM notes")[0].decode("body", as: String.self)
            #expect(body == "survives restarts")
        }

        // Conninfo quoting against a real server: a database name with a quote, a backslash and spaces.
        let odd = #"it's a \ db"#
        try await withClient(cluster.configuration()) { db in
            try await db.execute(#"CREATE DATABASE "it's a \ db""#)
        }
        let oddConfiguration = PostgresConfiguration.unixSocket(directory: cluster.socketDirectory.path, database: odd)
        try await withClient(oddConfiguration) { db in
            let name = try await db.query("SELECT current_database() AS db")[0].decode("db", as: String.self)
            #expect(name == odd)
        }
    }

    @Test("database names are checked before they reach SQL")
    func databaseNameValidation() async throws {
        let cluster = PostgresCluster(directory: URL(fileURLWithPath: "/tmp/unused-\(UUID().uuidString)"))
        for name in ["", "Upper", "1abc", "a-b", "x; DROP DATABASE postgres", String(repeating: "a", count: 64)] {
            await #expect(throws: PostgresClusterError.self) { try await cluster.createDatabase(name: name) }
        }
    }

    @Test("shared() hands out a fresh, empty database on every call")
    func sharedGivesFreshDatabases() async throws {
        let first = try await PostgresCluster.shared()
        let second = try await PostgresCluster.shared()
        #expect(first.conninfo != second.conninfo)
        try await withClient(first) { db in
            try await db.execute("CREATE TABLE only_in_first (id int)")
        }
        try await withClient(second) { db in
            let tables = try await db.query("SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public'")
            #expect(try tables[0].decode("n", as: Int.self) == 0)
        }
    }

    private func withClient(
        _ configuration: PostgresConfiguration, _ body: (PostgresClient) async throws -> Void
    ) async throws {
        let db = PostgresClient(configuration: configuration, logger: Logger(label: "postgres-tests"))
        defer { db.close() }
        try await body(db)
    }

    /// The cluster's start/stop block on initdb and pg_ctl: run them off the cooperative pool.
    private func onThread(_ body: @escaping @Sendable () throws -> Void) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
            Thread { continuation.resume(with: Result { try body() }) }.start()
        }
    }
}
