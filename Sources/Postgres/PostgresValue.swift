import Foundation

/// One query parameter, sent to the server in PostgreSQL's text format.
///
/// Callers rarely spell these out: every ``PostgresEncodable`` type (String, the integer types, Bool,
/// Double, UUID, Date, Data, `[UInt8]`, and Optionals of them) converts itself. Use `.json` for a
/// raw JSON document going into a `json`/`jsonb` column, and `.null` for an untyped NULL.
public enum PostgresValue: Sendable, Hashable {
    /// SQL NULL.
    case null
    /// Text; the server infers the parameter's type from where it is used (text, varchar, enums...).
    case text(String)
    /// An integer; the server infers int2/int4/int8/numeric from context.
    case int(Int64)
    /// A boolean.
    case bool(Bool)
    /// A float8, sent with enough digits to round-trip exactly.
    case double(Double)
    /// Raw bytes, sent as `bytea` in `\x` hex form.
    case bytea([UInt8])
    /// A `uuid`.
    case uuid(UUID)
    /// A point in time, sent as `timestamptz` in UTC with microsecond precision.
    case date(Date)
    /// A JSON document as text; the server parses it as `json` or `jsonb` from context.
    case json(String)

    /// The parameter's type OID for `PQexecParams`: 0 (let the server infer) except where a
    /// text literal would be ambiguous or parsed wrongly (`bytea`, `uuid`, `timestamptz`).
    var typeOID: UInt32 {
        switch self {
        case .bytea: 17
        case .uuid: 2950
        case .date: 1184
        case .null, .text, .int, .bool, .double, .json: 0
        }
    }

    /// The text-format representation, or `nil` for NULL.
    var textRepresentation: String? {
        switch self {
        case .null: nil
        case .text(let string), .json(let string): string
        case .int(let integer): String(integer)
        case .bool(let flag): flag ? "t" : "f"
        case .double(let number): Self.text(for: number)
        case .bytea(let bytes): Self.hexText(for: bytes)
        case .uuid(let uuid): uuid.uuidString
        case .date(let date): PostgresTimestamp.text(for: date)
        }
    }

    private static func text(for number: Double) -> String {
        if number.isNaN { return "NaN" }
        if number.isInfinite { return number < 0 ? "-Infinity" : "Infinity" }
        // Swift's description is the shortest text that parses back to the same Double.
        return number.description
    }

    private static func hexText(for bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text = [UInt8]("\\x".utf8)
        text.reserveCapacity(2 + bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}

extension PostgresValue: ExpressibleByNilLiteral {
    public init(nilLiteral: ()) { self = .null }
}

extension PostgresValue: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
}

extension PostgresValue: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int64) { self = .int(value) }
}

extension PostgresValue: ExpressibleByBooleanLiteral {
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

extension PostgresValue: ExpressibleByFloatLiteral {
    public init(floatLiteral value: Double) { self = .double(value) }
}
