import Foundation
import Postgres
import Testing

@Suite("Parameters and columns round-trip through a real PostgreSQL")
struct PostgresValueTests {
    @Test("every value type round-trips through a table, and NULL reads back as nil")
    func everyTypeRoundTripsThroughATable() async throws {
        let db = try await makeClient()
        defer { db.close() }
        try await db.execute("""
            CREATE TABLE samples (
                id serial PRIMARY KEY, t text, i8 bigint, i4 integer, i2 smallint, b boolean, f float8,
                raw bytea, u uuid, at timestamptz, doc jsonb)
            """)
        let text = "héllo 🌍 日本 'single' \"double\" \\back\\slash '; DROP TABLE samples; --"
        let uuid = UUID()
        let date = Date(timeIntervalSince1970: 1_700_000_000.123456)
        let bytes = [UInt8](0...255)
        let inserted = try await db.execute(
            "INSERT INTO samples (t, i8, i4, i2, b, f, raw, u, at, doc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            [text, Int64.max, Int32.min, Int16.max, true, 0.1, bytes, uuid, date,
             PostgresValue.json(#"{"b": "x", "a": [1, 2]}"#)])
        #expect(inserted == 1)
        let nothing: String? = nil
        try await db.execute(
            "INSERT INTO samples (t, i8, i4, i2, b, f, raw, u, at, doc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            [nothing, Int64?.none, Int32?.none, Int16?.none, Bool?.none, Double?.none, Data?.none, UUID?.none,
             Date?.none, PostgresValue.null])

        let rows = try await db.query("SELECT *, doc->'a'->>1 AS second FROM samples ORDER BY id")
        #expect(rows.count == 2)
        let row = rows[0]
        #expect(try row.decode("t", as: String.self) == text)
        #expect(try row.decode("i8", as: Int64.self) == .max)
        #expect(try row.decode("i4", as: Int32.self) == .min)
        #expect(try row.decode("i2", as: Int16.self) == .max)
        #expect(try row.decode("b", as: Bool.self))
        #expect(try row.decode("f", as: Double.self) == 0.1)
        #expect(try row.decode("raw", as: [UInt8].self) == bytes)
        #expect(try row.decode("raw", as: Data.self) == Data(bytes))
        #expect(try row.decode("u", as: UUID.self) == uuid)
        #expect(abs(try row.decode("at", as: Date.self).timeIntervalSince(date)) < 0.000_001)
        #expect(try row.decode("doc", as: String.self) == #"{"a": [1, 2], "b": "x"}"#)  // jsonb normalises
        #expect(try row.decode("second", as: String.self) == "2")

        let empty = rows[1]
        for column in ["t", "doc"] { #expect(try empty.decode(column, as: String?.self) == nil) }
        #expect(try empty.decode("i8", as: Int64?.self) == nil)
        #expect(try empty.decode("b", as: Bool?.self) == nil)
        #expect(try empty.decode("raw", as: Data?.self) == nil)
        #expect(try empty.decode("u", as: UUID?.self) == nil)
        #expect(try empty.decode("at", as: Date?.self) == nil)
        #expect(try empty.decode(1, as: String?.self) == nil)  // by index: column "t"

        // The injection attempt was data, not SQL: the table is still there.
        #expect(try await db.query("SELECT count(*) AS n FROM samples")[0].decode("n", as: Int.self) == 2)
    }

    @Test("text reaches the server as the same Unicode characters", arguments: [
        "", "plain", "héllo 🌍", "日本語", "it's", "\"quoted\"", "back\\slash", "tab\tand\nnewline", "$1 ? %s",
    ])
    func textIsSentVerbatim(_ text: String) async throws {
        let db = try await makeClient(poolSize: 1)
        defer { db.close() }
        let row = try await db.query("SELECT $1::text AS v, length($1::text) AS n, $1::text IS NULL AS is_null", [text])[0]
        #expect(try row.decode("v", as: String.self) == text)
        #expect(try row.decode("n", as: Int.self) == text.count)
        #expect(try row.decode("is_null", as: Bool.self) == false)
    }

    @Test("float8 values round-trip bit for bit", arguments: [
        0.1, 1.0 / 3.0, Double.pi, -0.0, 1e-300, Double.leastNonzeroMagnitude, Double.greatestFiniteMagnitude, Double.infinity,
        -Double.infinity,
    ])
    func doublesRoundTrip(_ value: Double) async throws {
        let db = try await makeClient(poolSize: 1)
        defer { db.close() }
        let decoded = try await db.query("SELECT $1::float8 AS v", [value])[0].decode("v", as: Double.self)
        #expect(decoded.bitPattern == value.bitPattern)
    }

    @Test("NaN, the integer extremes and Int/Int32 parameters")
    func specialNumbers() async throws {
        let db = try await makeClient(poolSize: 1)
        defer { db.close() }
        let row = try await db.query(
            "SELECT $1::float8 AS nan, $2::int8 AS min, $3::int8 AS max, $4::int4 + 1 AS next, $5 * 2 AS doubled",
            [Double.nan, Int64.min, Int64.max, Int32.max - 1, 21])[0]
        #expect(try row.decode("nan", as: Double.self).isNaN)
        #expect(try row.decode("min", as: Int64.self) == .min)
        #expect(try row.decode("max", as: Int64.self) == .max)
        #expect(try row.decode("next", as: Int32.self) == .max)
        #expect(try row.decode("doubled", as: Int.self) == 42)
    }

    @Test("dates are sent as the instant the server understands, to the microsecond", arguments: [
        0, 1_700_000_000.123456, -0.5, 951_782_400, 253_402_300_799.999999, -62_135_596_800, -62_198_755_200.25,
    ])
    func datesMeanTheSameInstantOnTheServer(_ seconds: Double) async throws {
        let db = try await makeClient(poolSize: 1)
        defer { db.close() }
        let date = Date(timeIntervalSince1970: seconds)
        let row = try await db.query(
            "SELECT $1::timestamptz AS v, extract(epoch FROM $1::timestamptz)::float8 AS epoch", [date])[0]
        let tolerance = max(0.000_001, seconds.magnitude.ulp * 4)
        #expect(abs(try row.decode("epoch", as: Double.self) - seconds) <= tolerance)
        #expect(abs(try row.decode("v", as: Date.self).timeIntervalSince1970 - seconds) <= tolerance)
    }

    @Test("server-written timestamps, timestamps without zone, dates and BC years decode correctly")
    func serverTimestampsDecode() async throws {
        let db = try await makeClient(poolSize: 1)
        defer { db.close() }
        let row = try await db.query("""
            SELECT '2024-02-29 12:34:56.789+05:30'::timestamptz AS zoned,
                   '2024-02-29 07:04:56.789'::timestamp AS local,
                   '2024-02-29'::date AS day,
                   '0044-03-15 12:00:00+00 BC'::timestamptz AS ides,
                   extract(epoch FROM '0044-03-15 12:00:00+00 BC'::timestamptz)::float8 AS ides_epoch,
                   'infinity'::timestamptz AS forever
            """)[0]
        let expected = 1_709_190_296.789  // 2024-02-29 07:04:56.789 UTC
        #expect(abs(try row.decode("zoned", as: Date.self).timeIntervalSince1970 - expected) < 0.000_01)
        #expect(abs(try row.decode("local", as: Date.self).timeIntervalSince1970 - expected) < 0.000_01)
        #expect(try row.decode("day", as: Date.self).timeIntervalSince1970 == 1_709_164_800)
        #expect(try row.decode("ides", as: Date.self).timeIntervalSince1970 == row.decode("ides_epoch", as: Double.self))
        #expect(try row.decode("forever", as: Date.self) == .distantFuture)
    }

    @Test("server-generated UUIDs and empty bytea decode")
    func generatedValues() async throws {
        let db = try await makeClient(poolSize: 1)
        defer { db.close() }
        let row = try await db.query("SELECT gen_random_uuid() AS u, ''::bytea AS empty, $1::bytea AS given", [Data()])[0]
        let uuid = try row.decode("u", as: UUID.self)
        #expect(try await db.query("SELECT $1::uuid::text AS t", [uuid])[0].decode("t", as: String.self)
            == uuid.uuidString.lowercased())
        #expect(try row.decode("empty", as: [UInt8].self).isEmpty)
        #expect(try row.decode("given", as: Data.self).isEmpty)
    }

    @Test("text with a NUL byte is refused before it reaches the server")
    func nulInTextIsRejected() async throws {
        let db = try await makeClient(poolSize: 1)
        defer { db.close() }
        let error = try await #require(throws: PostgresError.self) {
            try await db.query("SELECT $1::text", ["a\u{0}b"])
        }
        #expect(error.kind == .invalidArgument)
        #expect(try await db.query("SELECT 1 AS one")[0].decode("one", as: Int.self) == 1)
    }

    @Test("conninfo values are quoted the way libpq parses them")
    func conninfoQuoting() {
        let configuration = PostgresConfiguration.unixSocket(directory: "/run/it's here", database: #"a\b"#, user: "me")
        #expect(configuration.conninfo == #"host='/run/it\'s here' dbname='a\\b' user='me'"#)
        #expect(PostgresConfiguration.unixSocket().conninfo == "host='/run/postgresql' dbname='paastech'")
    }
}
