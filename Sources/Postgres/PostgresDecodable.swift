import Foundation

/// A Swift type that can be read from a result column in PostgreSQL's text format.
///
/// Optionals of conforming types conform too: decode as `String?.self` to accept NULL.
public protocol PostgresDecodable: Sendable {
    /// Parses the column's text; returns `nil` when the text is not a valid value of this type.
    init?(postgresText text: String)
    /// The value for SQL NULL, or `nil` when NULL is not acceptable (every non-Optional type).
    static var postgresNull: Self? { get }
}

extension PostgresDecodable {
    public static var postgresNull: Self? { nil }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public init?(postgresText text: String) {
        guard let value = Wrapped(postgresText: text) else { return nil }
        self = .some(value)
    }
    public static var postgresNull: Self? { .some(.none) }
}

extension String: PostgresDecodable {
    /// Any column reads as its text form (json/jsonb documents, numeric, enums...).
    public init?(postgresText text: String) { self = text }
}

extension Int: PostgresDecodable {
    public init?(postgresText text: String) { self.init(text) }
}

extension Int64: PostgresDecodable {
    public init?(postgresText text: String) { self.init(text) }
}

extension Int32: PostgresDecodable {
    public init?(postgresText text: String) { self.init(text) }
}

extension Int16: PostgresDecodable {
    public init?(postgresText text: String) { self.init(text) }
}

extension Bool: PostgresDecodable {
    public init?(postgresText text: String) {
        switch text {
        case "t", "true": self = true
        case "f", "false": self = false
        default: return nil
        }
    }
}

extension Double: PostgresDecodable {
    public init?(postgresText text: String) {
        switch text {
        case "NaN": self = .nan
        case "Infinity": self = .infinity
        case "-Infinity": self = -.infinity
        default: self.init(text)
        }
    }
}

extension UUID: PostgresDecodable {
    public init?(postgresText text: String) { self.init(uuidString: text) }
}

extension Date: PostgresDecodable {
    /// Reads `timestamptz`, `timestamp` (taken as UTC) and `date` in the ISO style set on every connection.
    public init?(postgresText text: String) {
        guard let date = PostgresTimestamp.date(from: text) else { return nil }
        self = date
    }
}

extension Array: PostgresDecodable where Element == UInt8 {
    /// Reads `bytea` in hex output format (`\x0a1b...`).
    public init?(postgresText text: String) {
        var bytes = text.utf8.makeIterator()
        guard bytes.next() == UInt8(ascii: "\\"), bytes.next() == UInt8(ascii: "x") else { return nil }
        var decoded: [UInt8] = []
        decoded.reserveCapacity((text.utf8.count - 2) / 2)
        while let high = bytes.next() {
            guard let low = bytes.next(), let highValue = Self.hexValue(high), let lowValue = Self.hexValue(low) else {
                return nil
            }
            decoded.append(highValue << 4 | lowValue)
        }
        self = decoded
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

extension Data: PostgresDecodable {
    /// Reads `bytea` in hex output format (`\x0a1b...`).
    public init?(postgresText text: String) {
        guard let bytes = [UInt8](postgresText: text) else { return nil }
        self.init(bytes)
    }
}
