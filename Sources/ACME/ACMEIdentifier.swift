/// An identifier in an order or authorization (RFC 8555 §9.7.7); this client only asks for `dns`.
public struct ACMEIdentifier: Codable, Sendable, Hashable, CustomStringConvertible {
    /// `dns` (or `ip` for servers that support RFC 8738).
    public var type: String
    /// The host name.
    public var value: String

    /// A `dns` identifier.
    public init(dns name: String) {
        type = "dns"
        value = name
    }

    public var description: String { "\(type):\(value)" }
}
