/// A networking setting that cannot work: an unparsable address or subnet, a bad interface name, an
/// address outside the platform subnet, or an existing interface of the wrong kind.
public struct NetworkConfigurationError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of setting is wrong; new kinds may be added.
    public struct Kind: Hashable, Sendable {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// Text that is not a strict dotted-quad IPv4 address.
        public static let invalidAddress = Kind("invalidAddress")
        /// Text that is not a usable CIDR subnet.
        public static let invalidSubnet = Kind("invalidSubnet")
        /// A network interface name the kernel would refuse (or that nft could not quote safely).
        public static let invalidInterfaceName = Kind("invalidInterfaceName")
        /// An instance address outside the subnet, or its network, gateway or broadcast address.
        public static let addressNotForInstances = Kind("addressNotForInstances")
        /// An interface with the bridge's name exists but is not a bridge.
        public static let notABridge = Kind("notABridge")
        /// An nftables table name nft would not accept unquoted.
        public static let invalidTableName = Kind("invalidTableName")
    }

    /// What kind of setting is wrong.
    public let kind: Kind
    /// The whole message: the setting, its value, and what to write instead.
    public let description: String

    init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }
}
