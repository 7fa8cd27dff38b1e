import Foundation

/// A Swift value that can be a query parameter.
///
/// Lets callers pass plain values: `try await db.query("SELECT ... WHERE id = $1 AND name = $2", [id, name])`.
/// For an untyped NULL write `PostgresValue.null`; a `nil` Optional of any conforming type also sends NULL.
public protocol PostgresEncodable: Sendable {
    /// The parameter as it is sent to the server.
    var postgresValue: PostgresValue { get }
}

extension PostgresValue: PostgresEncodable {
    public var postgresValue: PostgresValue { self }
}

extension String: PostgresEncodable {
    public var postgresValue: PostgresValue { .text(self) }
}

extension Substring: PostgresEncodable {
    public var postgresValue: PostgresValue { .text(String(self)) }
}

extension Int: PostgresEncodable {
    public var postgresValue: PostgresValue { .int(Int64(self)) }
}

extension Int64: PostgresEncodable {
    public var postgresValue: PostgresValue { .int(self) }
}

extension Int32: PostgresEncodable {
    public var postgresValue: PostgresValue { .int(Int64(self)) }
}

extension Int16: PostgresEncodable {
    public var postgresValue: PostgresValue { .int(Int64(self)) }
}

extension Bool: PostgresEncodable {
    public var postgresValue: PostgresValue { .bool(self) }
}

extension Double: PostgresEncodable {
    public var postgresValue: PostgresValue { .double(self) }
}

extension UUID: PostgresEncodable {
    public var postgresValue: PostgresValue { .uuid(self) }
}

extension Date: PostgresEncodable {
    public var postgresValue: PostgresValue { .date(self) }
}

extension Data: PostgresEncodable {
    public var postgresValue: PostgresValue { .bytea([UInt8](self)) }
}

extension Array: PostgresEncodable where Element == UInt8 {
    public var postgresValue: PostgresValue { .bytea(self) }
}

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public var postgresValue: PostgresValue { self?.postgresValue ?? .null }
}
