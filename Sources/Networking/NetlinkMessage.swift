/// One message received from the kernel, and the attributes in it.
struct NetlinkMessage {
    let type: UInt16
    let flags: UInt16
    let sequence: UInt32
    /// The bytes after the 16-byte header, up to `nlmsg_len`.
    let payload: ArraySlice<UInt8>

    /// Splits a received datagram into messages; nil if a length field is inconsistent.
    static func split(_ datagram: ArraySlice<UInt8>) -> [NetlinkMessage]? {
        var messages: [NetlinkMessage] = []
        var rest = datagram
        while rest.count >= RouteNetlink.headerSize {
            let length = Int(NetlinkAlignment.loadInteger(rest, at: 0) as UInt32)
            guard length >= RouteNetlink.headerSize, length <= rest.count else { return nil }
            messages.append(NetlinkMessage(
                type: NetlinkAlignment.loadInteger(rest, at: 4),
                flags: NetlinkAlignment.loadInteger(rest, at: 6),
                sequence: NetlinkAlignment.loadInteger(rest, at: 8),
                payload: rest[(rest.startIndex + RouteNetlink.headerSize)..<(rest.startIndex + length)]
            ))
            rest = rest.dropFirst(min(NetlinkAlignment.aligned(length), rest.count))
        }
        return messages
    }

    /// For an `NLMSG_ERROR`: 0 for an acknowledgement, else the positive errno; nil for other messages.
    var acknowledgedError: Int32? {
        guard type == RouteNetlink.MessageType.error, payload.count >= 4 else { return nil }
        return -(NetlinkAlignment.loadInteger(payload, at: 0) as Int32)
    }

    /// For an `NLMSG_ERROR` with extended acknowledgement: the kernel's explanation, such as
    /// "Unknown device type".
    var kernelErrorMessage: String? {
        guard type == RouteNetlink.MessageType.error, flags & RouteNetlink.Flag.acknowledgementAttributes != 0,
              payload.count >= 4 + RouteNetlink.headerSize
        else { return nil }
        // struct nlmsgerr is the error and the request's header, followed by the whole request unless capped.
        let requestLength = Int(NetlinkAlignment.loadInteger(payload, at: 4) as UInt32)
        let echoed = flags & RouteNetlink.Flag.capped != 0 ? RouteNetlink.headerSize : NetlinkAlignment.aligned(requestLength)
        guard payload.count >= 4 + echoed else { return nil }
        let attributes = NetlinkAttributes(payload.dropFirst(4 + echoed))
        guard let text = attributes[RouteNetlink.errorMessageAttribute] else { return nil }
        return String(decoding: text.prefix { $0 != 0 }, as: UTF8.self)
    }
}
