/// Host name → the pool that serves it: one immutable snapshot, swapped whole by ``RouteTableStore``.
public struct RouteTable: Sendable {
    /// Lower-case host names without port or trailing dot.
    public let pools: [String: BackendPool]
    /// Pomegranate's table version this snapshot was built from (0 before the first).
    public let version: UInt64

    public init(pools: [String: BackendPool] = [:], version: UInt64 = 0) {
        self.pools = pools
        self.version = version
    }

    /// The pool for a `Host` header or SNI name (`Shop.Example.com:8443` and `shop.example.com.` match
    /// `shop.example.com`).
    public func pool(forHost host: String) -> BackendPool? {
        guard let name = Self.normalise(host: host) else { return nil }
        return pools[name]
    }

    /// Lower-cases and strips the port and a trailing dot; nil for an empty or malformed name.
    public static func normalise(host: String) -> String? {
        if isNormal(host) { return host }
        var name = Substring(host)
        if name.hasPrefix("[") { return nil }  // IP literals are never routed
        if let colon = name.lastIndex(of: ":") {
            guard name[name.index(after: colon)...].allSatisfy(\.isASCIIDigit) else { return nil }
            name = name[..<colon]
        }
        if name.hasSuffix(".") { name = name.dropLast() }
        guard !name.isEmpty, name.utf8.count <= 253,
              name.utf8.allSatisfy({ $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") || ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7a) })
        else { return nil }
        return name.lowercased()
    }
}

extension RouteTable {
    /// Already what ``normalise(host:)`` makes (the usual `Host`): lower-case letters, digits, dots and
    /// dashes, no port, no trailing dot. Checked on bytes, without building a new string.
    fileprivate static func isNormal(_ host: String) -> Bool {
        let bytes = host.utf8
        guard !bytes.isEmpty, bytes.count <= 253, bytes.last != UInt8(ascii: ".") else { return false }
        return bytes.allSatisfy {
            ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9"))
                || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-")
        }
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
