/// An IPv4 network such as `10.88.0.0/16`: the platform subnet that sandboxes get addresses from.
///
/// The first host address (`10.88.0.1`) is the gateway, the bridge's own address; the network and
/// broadcast addresses are never given to an instance.
public struct IPv4Subnet: Hashable, Sendable, CustomStringConvertible, LosslessStringConvertible, Codable {
    /// The network address; its host bits are zero.
    public let network: IPv4Address
    /// The number of leading one bits in the netmask, 0...32. A subnet for instances needs 8...30 (see
    /// ``validateForInstances()``).
    public let prefixLength: Int

    /// The default platform subnet, `10.88.0.0/16`.
    public static let platformDefault = IPv4Subnet(uncheckedNetwork: IPv4Address(0x0A58_0000), prefixLength: 16)

    /// Link-local addresses, `169.254.0.0/16`, where cloud metadata services answer (169.254.169.254).
    public static let linkLocal = IPv4Subnet(uncheckedNetwork: IPv4Address(0xA9FE_0000), prefixLength: 16)

    /// - Throws: When `prefixLength` is outside 0...32 or `network` has host bits set (`10.88.0.1/16`).
    public init(network: IPv4Address, prefixLength: Int) throws(NetworkConfigurationError) {
        guard (0...32).contains(prefixLength) else {
            throw NetworkConfigurationError(.invalidSubnet, "subnet \(network)/\(prefixLength) has prefix length \(prefixLength); use 0 to 32")
        }
        let mask = Self.mask(prefixLength)
        guard network.value & ~mask == 0 else {
            throw NetworkConfigurationError(
                .invalidSubnet,
                "subnet \(network)/\(prefixLength) has host bits set; did you mean \(IPv4Address(network.value & mask))/\(prefixLength)?"
            )
        }
        self.init(uncheckedNetwork: network, prefixLength: prefixLength)
    }

    /// Parses CIDR text such as `10.88.0.0/16`, or throws an error that says what is wrong.
    public init(parsing text: String) throws(NetworkConfigurationError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let prefixLength = Int(parts[1]), parts[1].allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw NetworkConfigurationError(.invalidSubnet, "subnet \"\(text)\" is not in CIDR form; write it like 10.88.0.0/16")
        }
        try self.init(network: try IPv4Address(parsing: String(parts[0]), for: "subnet \"\(text)\" network"), prefixLength: prefixLength)
    }

    public init?(_ description: String) {
        guard let subnet = try? IPv4Subnet(parsing: description) else { return nil }
        self = subnet
    }

    private init(uncheckedNetwork network: IPv4Address, prefixLength: Int) {
        self.network = network
        self.prefixLength = prefixLength
    }

    /// The netmask as a number: `/16` is `0xFFFF_0000`.
    public var mask: UInt32 { Self.mask(prefixLength) }

    /// The broadcast address (all host bits set), never given to an instance.
    public var broadcast: IPv4Address { IPv4Address(network.value | ~mask) }

    /// The gateway: the first host address, which the bridge carries (`10.88.0.1`).
    public var gateway: IPv4Address { IPv4Address(network.value &+ 1) }

    /// The addresses instances may get: after the gateway, before the broadcast address. Empty for
    /// prefixes longer than 30, which have no room for instances.
    public var instanceAddresses: Range<UInt32> {
        prefixLength > 30 ? 0..<0 : (network.value + 2)..<broadcast.value
    }

    /// Checks that this subnet can be the platform subnet: a prefix of 8 to 30 bits, so there is a
    /// gateway and at least one instance address.
    public func validateForInstances() throws(NetworkConfigurationError) {
        guard (8...30).contains(prefixLength) else {
            throw NetworkConfigurationError(
                .invalidSubnet,
                "platform subnet \(self) has prefix length \(prefixLength); use 8 to 30 (/16 gives 65,533 instance addresses)"
            )
        }
    }

    /// Whether `address` lies in this subnet (including the network, gateway and broadcast addresses).
    public func contains(_ address: IPv4Address) -> Bool {
        address.value & mask == network.value
    }

    /// Whether `address` may be given to an instance: in the subnet, and not network, gateway or broadcast.
    public func isInstanceAddress(_ address: IPv4Address) -> Bool {
        instanceAddresses.contains(address.value)
    }

    public var description: String { "\(network)/\(prefixLength)" }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        self = try IPv4Subnet(parsing: text)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    private static func mask(_ prefixLength: Int) -> UInt32 {
        prefixLength == 0 ? 0 : UInt32.max << UInt32(32 - prefixLength)
    }
}
