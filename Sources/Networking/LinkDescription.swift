/// The parts of an `RTM_NEWLINK` answer this module reads.
struct LinkDescription {
    /// The interface index.
    let index: Int32
    /// `IFF_*` flags.
    let flags: UInt32
    /// `IFLA_LINKINFO`/`IFLA_INFO_KIND`, such as `bridge` or `veth`; nil for a physical device.
    let kind: String?
    /// `IFLA_LINK`: for a veth, the peer's index in the peer's namespace.
    let link: Int32?

    /// Reads an `RTM_NEWLINK` message; nil if it is too short to be one.
    init?(_ message: NetlinkMessage) {
        guard message.type == RouteNetlink.MessageType.newLink, message.payload.count >= 16 else { return nil }
        index = NetlinkAlignment.loadInteger(message.payload, at: 4)
        flags = NetlinkAlignment.loadInteger(message.payload, at: 8)
        let attributes = NetlinkAttributes(message.payload.dropFirst(16))
        kind = attributes[RouteNetlink.LinkAttribute.linkInfo].flatMap {
            NetlinkAttributes($0).string(RouteNetlink.LinkInfoAttribute.kind)
        }
        link = attributes.integer(RouteNetlink.LinkAttribute.link, as: Int32.self)
    }
}
