/// An address that cannot be handed out or recorded.
public struct AddressAllocatorError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What went wrong; new kinds may be added.
    public struct Kind: Hashable, Sendable {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// The subnet has no room for instances (see ``IPv4Subnet/validateForInstances()``).
        public static let unusableSubnet = Kind("unusableSubnet")
        /// Every instance address of the subnet is in use.
        public static let exhausted = Kind("exhausted")
        /// The state file exists but cannot be read or is not the expected JSON.
        public static let unreadableState = Kind("unreadableState")
        /// The state file or its directory cannot be written.
        public static let unwritableState = Kind("unwritableState")
        /// ``AddressAllocator/claim(_:for:)``: another instance holds the address.
        public static let addressInUse = Kind("addressInUse")
        /// ``AddressAllocator/claim(_:for:)``: the address is not an instance address of the subnet.
        public static let notInSubnet = Kind("notInSubnet")
    }

    /// What went wrong.
    public let kind: Kind
    /// The whole message: what was attempted, on which file or subnet, and how to fix it.
    public let description: String

    init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }
}
