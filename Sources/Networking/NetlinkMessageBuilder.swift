/// Lays out one netlink request byte by byte: the `nlmsghdr`, a family header (`ifinfomsg`, `ifaddrmsg`,
/// `rtmsg`) and 4-byte-aligned attributes, some nested.
///
/// Integers are in host byte order, as netlink wants; addresses are in network byte order. The length and
/// sequence number are filled in by ``finished(sequence:)``.
struct NetlinkMessageBuilder {
    private(set) var bytes: [UInt8]

    /// Starts a message of `type` (`RTM_NEWLINK`, ...) with `NLM_F_REQUEST` and `flags` set.
    init(type: UInt16, flags: UInt16) {
        bytes = []
        bytes.reserveCapacity(256)
        appendInteger(UInt32(0))  // nlmsg_len, set by finished(sequence:)
        appendInteger(type)
        appendInteger(flags | RouteNetlink.Flag.request)
        appendInteger(UInt32(0))  // nlmsg_seq, set by finished(sequence:)
        appendInteger(UInt32(0))  // nlmsg_pid: 0 lets the kernel fill in our port id
    }

    /// The message type, as given to the initialiser.
    var type: UInt16 { loadInteger(at: 4) }

    /// The flags, with `NLM_F_REQUEST`.
    var flags: UInt16 {
        get { loadInteger(at: 6) }
        set { storeInteger(newValue, at: 6) }
    }

    /// Appends a `struct ifinfomsg` (16 bytes).
    /// - Parameters:
    ///   - change: Which bits of `flags` to apply (`ifi_change`); the others stay as they are.
    mutating func appendLinkHeader(family: UInt8 = RouteNetlink.familyUnspecified, index: Int32 = 0, flags: UInt32 = 0, change: UInt32 = 0) {
        appendInteger(family)
        appendInteger(UInt8(0))  // padding
        appendInteger(UInt16(0))  // ifi_type
        appendInteger(index)
        appendInteger(flags)
        appendInteger(change)
    }

    /// Appends a `struct ifaddrmsg` (8 bytes).
    mutating func appendAddressHeader(family: UInt8, prefixLength: UInt8, flags: UInt8 = 0, scope: UInt8, index: Int32) {
        appendInteger(family)
        appendInteger(prefixLength)
        appendInteger(flags)
        appendInteger(scope)
        appendInteger(UInt32(bitPattern: index))
    }

    /// Appends a `struct rtmsg` (12 bytes).
    mutating func appendRouteHeader(
        family: UInt8, destinationLength: UInt8, table: UInt8, protocol routeProtocol: UInt8, scope: UInt8, type: UInt8
    ) {
        appendInteger(family)
        appendInteger(destinationLength)
        appendInteger(UInt8(0))  // rtm_src_len
        appendInteger(UInt8(0))  // rtm_tos
        appendInteger(table)
        appendInteger(routeProtocol)
        appendInteger(scope)
        appendInteger(type)
        appendInteger(UInt32(0))  // rtm_flags
    }

    /// Appends an attribute whose payload is `payload`, padded to 4 bytes.
    mutating func appendAttribute(_ type: UInt16, bytes payload: [UInt8]) {
        appendInteger(UInt16(RouteNetlink.attributeHeaderSize + payload.count))
        appendInteger(type)
        bytes += payload
        padToAlignment()
    }

    /// Appends a NUL-terminated string attribute, such as `IFLA_IFNAME`.
    mutating func appendAttribute(_ type: UInt16, string: String) {
        appendAttribute(type, bytes: Array(string.utf8) + [0])
    }

    /// Appends an integer attribute in host byte order (`u8`, `u32`, `s32` in the kernel's policy).
    mutating func appendAttribute<Value: FixedWidthInteger>(_ type: UInt16, integer: Value) {
        appendAttribute(type, bytes: withUnsafeBytes(of: integer) { Array($0) })
    }

    /// Appends an IPv4 address attribute (network byte order).
    mutating func appendAttribute(_ type: UInt16, address: IPv4Address) {
        appendAttribute(type, bytes: address.octets)
    }

    /// Appends a nested attribute (with `NLA_F_NESTED`, which some kernel parsers require) holding what
    /// `body` appends.
    mutating func appendNested(_ type: UInt16, _ body: (inout NetlinkMessageBuilder) -> Void) {
        let start = bytes.count
        appendInteger(UInt16(0))  // length, patched below
        appendInteger(type | RouteNetlink.nestedFlag)
        body(&self)
        storeInteger(UInt16(bytes.count - start), at: start)
    }

    /// The message ready to send: its length and sequence number filled in.
    func finished(sequence: UInt32) -> [UInt8] {
        var message = self
        message.storeInteger(UInt32(bytes.count), at: 0)
        message.storeInteger(sequence, at: 8)
        return message.bytes
    }

    private mutating func appendInteger<Value: FixedWidthInteger>(_ value: Value) {
        withUnsafeBytes(of: value) { bytes += $0 }
    }

    private mutating func padToAlignment() {
        bytes += repeatElement(0, count: NetlinkAlignment.padding(bytes.count))
    }

    private mutating func storeInteger<Value: FixedWidthInteger>(_ value: Value, at offset: Int) {
        withUnsafeBytes(of: value) { bytes.replaceSubrange(offset..<offset + MemoryLayout<Value>.size, with: $0) }
    }

    private func loadInteger<Value: FixedWidthInteger>(at offset: Int) -> Value {
        NetlinkAlignment.loadInteger(bytes[...], at: offset)
    }
}
