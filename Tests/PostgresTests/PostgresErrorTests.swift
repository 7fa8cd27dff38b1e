import Foundation
import Postgres
import Testing

@Suite("Errors carry SQLSTATE and context, never parameter values")
struct PostgresErrorTests {
    private func makeSchema(_ db: PostgresClient) async throws {
        try await db.execute("""
            CREATE TABLE teams (id bigint PRIMARY KEY);
            """)
        try await db.execute("""
            CREATE TABLE members (
                id bigint PRIMARY KEY,
                email text NOT NULL CONSTRAINT members_email_key UNIQUE,
                age integer CONSTRAINT members_age_check CHECK (age >= 0),
                team_id bigint CONSTRAINT members_team_fkey REFERENCES teams (id))
            """)
    }

    @Test("a duplicate key is a unique violation naming its constraint, without the values")
    func uniqueViolation() async throws {
        let db = try await makeClient(poolSize: 1)
        defer { db.close() }
        try await makeSchema(db)
        let secret = "s3cret-\(UUID().uuidString)@example.com"
        try await db.execute("INSERT INTO members (id, email) VALUES ($1, $2)", [1, secret])
        let error = try await #require(throws: PostgresError.self) {
            try await db.execute("INSERT INTO members (id, email)\nVALUES ($1, $2)", [2, secret])
        }
        #expect(error.kind == .server)
        #expect(error.isUniqueViolation)
        #expect(!error.isForeignKeyViolation && !error.isCheckViolation)
        #expect(error.sqlState == "23505")
        #expect(error.severity == "ERROR")
        #expect(error.constraint == "members_email_key")
        #expect(error.table == "members")
        #expect(error.schema == "public")
        #expect(error.statement == "INSERT INTO members (id, email)")
        #expect(error.detail?.contains(secret) == true)  // available on purpose...
        #expect(!error.description.contains(secret))  // ...but never printed
        #expect(error.description.contains("23505") && error.description.contains("members_email_key"))
    }

    @Test("foreign-key and check violations are recognised")
    func foreignKeyAndCheck() async throws {
        let db = try await makeClient(poolSize: 1)
        defer { db.close() }
        try await makeSchema(db)
        let foreignKey = try await #require(throws: PostgresError.self) {
            try await db.execute("INSERT INTO members (id, email, team_id) VALUES (1, 'a', $1)", [99])
        }
        #expect(foreignKey.isForeignKeyViolation)
        #expect(foreignKey.constraint == "members_team_fkey")
        let check = try await #require(throws: PostgresError.self) {
            try await db.execute("INSERT INTO members (id, email, age) VALUES (1, 'a', $1)", [-1])
        }
        #expect(check.isCheckViolation)
        #expect(check.constraint == "members_age_check")
    }

    @Test("two statements in one call are refused: one statement per call")
    func oneStatementPerCall() async throws {
        let db = try await makeClient(poolSize: 1)
        defer { db.close() }
        let error = try await #require(throws: PostgresError.self) {
            try await db.query("SELECT 1; SELECT 2")
        }
        #expect(error.sqlState == "42601")
    }

    @Test("NULL decoded as a non-optional names the column; so does a wrong type or a missing column")
    func decodingErrors() async throws {
        let db = try await makeClient(poolSize: 1)
        defer { db.close() }
        let row = try await db.query("SELECT NULL::text AS nickname, 'abc' AS word")[0]
        let null = try #require(throws: PostgresError.self) { try row.decode("nickname", as: String.self) }
        #expect(null.kind == .decoding)
        #expect(null.column == "nickname")
        #expect(null.description.contains("nickname"))
        let wrongType = try #require(throws: PostgresError.self) { try row.decode("word", as: Int.self) }
        #expect(wrongType.column == "word")
        #expect(!wrongType.description.contains("abc"))
        let missing = try #require(throws: PostgresError.self) { try row.decode("nope", as: String.self) }
        #expect(missing.description.contains("nope"))
        #expect(throws: PostgresError.self) { try row.decode(5, as: String.self) }
    }

    @Test("a failed connection says why")
    func connectionFailure() async throws {
        let db = PostgresClient(
            configuration: .unixSocket(directory: "/nonexistent-\(UUID().uuidString)"),
            logger: .init(label: "postgres-tests"))
        defer { db.close() }
        let error = try await #require(throws: PostgresError.self) { try await db.ping() }
        #expect(error.kind == .connectionFailed)
        #expect(error.message.contains("No such file or directory"))
    }
}
