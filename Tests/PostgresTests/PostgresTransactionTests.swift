import Postgres
import Testing

@Suite("Transactions commit, roll back on throw, and pin one connection")
struct PostgresTransactionTests {
    struct Abort: Error {}

    private func count(_ db: PostgresClient) async throws -> Int {
        try await db.query("SELECT count(*) AS n FROM items")[0].decode("n", as: Int.self)
    }

    @Test("COMMIT makes the writes visible; until then other connections do not see them")
    func commit() async throws {
        let db = try await makeClient(poolSize: 2)
        defer { db.close() }
        try await db.execute("CREATE TABLE items (name text PRIMARY KEY)")
        let result = try await db.withTransaction { transaction in
            try await transaction.execute("INSERT INTO items VALUES ($1), ($2)", ["a", "b"])
            let first = try await transaction.query("SELECT pg_backend_pid() AS pid")[0].decode("pid", as: Int32.self)
            let second = try await transaction.query("SELECT pg_backend_pid() AS pid")[0].decode("pid", as: Int32.self)
            #expect(first == second)
            #expect(try await transaction.query("SELECT count(*) AS n FROM items")[0].decode("n", as: Int.self) == 2)
            #expect(try await count(db) == 0)  // another pooled connection: not committed yet
            return "done"
        }
        #expect(result == "done")
        #expect(try await count(db) == 2)
    }

    @Test("a throwing body rolls back and its error comes out unchanged")
    func rollbackOnThrow() async throws {
        let db = try await makeClient(poolSize: 1)
        defer { db.close() }
        try await db.execute("CREATE TABLE items (name text PRIMARY KEY)")
        await #expect(throws: Abort.self) {
            try await db.withTransaction { transaction in
                try await transaction.execute("INSERT INTO items VALUES ($1)", ["a"])
                throw Abort()
            }
        }
        #expect(try await count(db) == 0)
        // The connection went back to the pool clean: the INSERT's transaction is no longer open.
        let open = try await db.query("SELECT pg_current_xact_id_if_assigned() IS NOT NULL AS open")[0]
        #expect(try open.decode("open", as: Bool.self) == false)
    }

    @Test("a statement error caught inside the body still rolls back, and says so")
    func caughtFailureStillRollsBack() async throws {
        let db = try await makeClient(poolSize: 1)
        defer { db.close() }
        try await db.execute("CREATE TABLE items (name text PRIMARY KEY)")
        let error = try await #require(throws: PostgresError.self) {
            try await db.withTransaction { transaction in
                try await transaction.execute("INSERT INTO items VALUES ($1)", ["a"])
                _ = try? await transaction.execute("INSERT INTO items VALUES ($1)", ["a"])
            }
        }
        #expect(error.kind == .transactionRolledBack)
        #expect(try await count(db) == 0)
    }

    @Test("executeScript runs several statements inside the transaction")
    func script() async throws {
        let db = try await makeClient(poolSize: 1)
        defer { db.close() }
        try await db.withTransaction { transaction in
            try await transaction.executeScript("""
                CREATE TABLE items (name text PRIMARY KEY);
                INSERT INTO items VALUES ('x');
                INSERT INTO items VALUES ('y');
                """)
        }
        #expect(try await count(db) == 2)
    }

    @Test("a transaction handle that escaped its closure refuses to run")
    func escapedTransaction() async throws {
        let db = try await makeClient(poolSize: 1)
        defer { db.close() }
        let escaped = try await db.withTransaction { $0 }
        let error = try await #require(throws: PostgresError.self) { try await escaped.query("SELECT 1") }
        #expect(error.kind == .clientClosed)
    }
}
