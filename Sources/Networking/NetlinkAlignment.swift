/// Netlink's 4-byte alignment (NLMSG_ALIGN, RTA_ALIGN) and reads of unaligned host-order integers.
enum NetlinkAlignment {
    static func padding(_ length: Int) -> Int { (4 - length % 4) % 4 }
    static func aligned(_ length: Int) -> Int { length + padding(length) }

    /// Reads a host-order integer at `offset` from the slice's start; the caller has checked the bounds.
    static func loadInteger<Value: FixedWidthInteger>(_ bytes: ArraySlice<UInt8>, at offset: Int) -> Value {
        bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: Value.self) }
    }
}
