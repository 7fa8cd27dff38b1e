/// The attributes of a message or of a nested attribute, by type (without the nested and byte-order flags).
struct NetlinkAttributes {
    private var payloads: [UInt16: ArraySlice<UInt8>] = [:]

    /// Reads attributes from `bytes` until they end or one is malformed.
    init(_ bytes: ArraySlice<UInt8>) {
        var rest = bytes
        while rest.count >= RouteNetlink.attributeHeaderSize {
            let length = Int(NetlinkAlignment.loadInteger(rest, at: 0) as UInt16)
            let type: UInt16 = NetlinkAlignment.loadInteger(rest, at: 2)
            guard length >= RouteNetlink.attributeHeaderSize, length <= rest.count else { break }
            payloads[type & 0x3fff] = rest[(rest.startIndex + RouteNetlink.attributeHeaderSize)..<(rest.startIndex + length)]
            rest = rest.dropFirst(min(NetlinkAlignment.aligned(length), rest.count))
        }
    }

    subscript(type: UInt16) -> ArraySlice<UInt8>? {
        payloads[type]
    }

    /// A NUL-terminated string attribute.
    func string(_ type: UInt16) -> String? {
        payloads[type].map { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    /// A host-order integer attribute of exactly the integer's size.
    func integer<Value: FixedWidthInteger>(_ type: UInt16, as: Value.Type = Value.self) -> Value? {
        guard let payload = payloads[type], payload.count == MemoryLayout<Value>.size else { return nil }
        return NetlinkAlignment.loadInteger(payload, at: 0)
    }
}
