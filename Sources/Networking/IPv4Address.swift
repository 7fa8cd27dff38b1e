/// An IPv4 address. Parsed strictly (four decimal numbers 0-255, no leading zeros), so its text form can
/// go into an nft script or an argv without quoting.
public struct IPv4Address: Hashable, Comparable, Sendable, CustomStringConvertible, LosslessStringConvertible, Codable {
    /// The address as a number: `10.88.0.1` is `0x0A58_0001`.
    public let value: UInt32

    /// - Parameter value: The address as a number, most significant octet first.
    public init(_ value: UInt32) {
        self.value = value
    }

    /// Parses dotted-quad text such as `10.88.0.2`; nil for anything else (`10.88.2`, `010.0.0.1`, ` 1.2.3.4`).
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            // Leading zeros are refused: inet_aton reads them as octal, so "010" would mean 8.
            guard (1...3).contains(part.count), part.allSatisfy({ $0.isASCII && $0.isNumber }),
                  part.count == 1 || part.first != "0", let octet = UInt32(part), octet <= 255
            else { return nil }
            value = value << 8 | octet
        }
        self.value = value
    }

    /// Parses dotted-quad text, or throws an error that names `setting`.
    /// - Parameter setting: What the text is, for the error message (e.g. `bridge address`).
    public init(parsing text: String, for setting: String = "IPv4 address") throws(NetworkConfigurationError) {
        guard let address = IPv4Address(text) else {
            throw NetworkConfigurationError(
                .invalidAddress,
                "\(setting) \"\(text)\" is not an IPv4 address; write four decimal numbers 0-255 such as 10.88.0.2"
            )
        }
        self = address
    }

    /// The four octets in network byte order, as netlink and the wire want them.
    public var octets: [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
    }

    public var description: String {
        octets.map(String.init).joined(separator: ".")
    }

    public static func < (lhs: IPv4Address, rhs: IPv4Address) -> Bool {
        lhs.value < rhs.value
    }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        self = try IPv4Address(parsing: text)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
