import Glibc

/// The rtnetlink requests that bridge and instance networking are made of.
extension NetlinkRequest {
    /// `RTM_GETLINK` for the interface called `name`.
    static func getLink(named name: String) -> NetlinkRequest {
        var message = NetlinkMessageBuilder(type: RouteNetlink.MessageType.getLink, flags: 0)
        message.appendLinkHeader()
        message.appendAttribute(RouteNetlink.LinkAttribute.name, string: name)
        return NetlinkRequest(message, "RTM_GETLINK: look up interface \(name)")
    }

    /// `RTM_NEWLINK` creating a bridge, down and without addresses.
    static func createBridge(named name: String) -> NetlinkRequest {
        var message = NetlinkMessageBuilder(type: RouteNetlink.MessageType.newLink, flags: RouteNetlink.Flag.create | RouteNetlink.Flag.exclusive)
        message.appendLinkHeader()
        message.appendAttribute(RouteNetlink.LinkAttribute.name, string: name)
        message.appendNested(RouteNetlink.LinkAttribute.linkInfo) { info in
            info.appendAttribute(RouteNetlink.LinkInfoAttribute.kind, string: "bridge")
        }
        return NetlinkRequest(message, "RTM_NEWLINK: create bridge \(name)", hints: [
            EOPNOTSUPP: "the kernel has no bridge support: load it with `modprobe bridge`",
        ])
    }

    /// `RTM_NEWLINK` bringing interface `index` up (`name` is for messages only).
    static func setLinkUp(index: Int32, name: String) -> NetlinkRequest {
        var message = NetlinkMessageBuilder(type: RouteNetlink.MessageType.newLink, flags: 0)
        message.appendLinkHeader(index: index, flags: RouteNetlink.upFlag, change: RouteNetlink.upFlag)
        return NetlinkRequest(message, "RTM_NEWLINK: set \(name) (index \(index)) up")
    }

    /// `RTM_NEWLINK` creating a veth pair in one message: `hostName` on the host, enslaved to the bridge
    /// `masterIndex`; its peer `peerName` in the namespace `namespaceFD`. Both ends are left down.
    ///
    /// The host end stays down until its bridge port is isolated, so the bridge never forwards for an
    /// instance whose port is not isolated yet. The peer cannot be brought up by this message: the
    /// kernel configures it before the pair is linked, and veth refuses to open without a peer (ENOTCONN).
    static func createVethPair(hostName: String, masterIndex: Int32, peerName: String, namespaceFD: Int32) -> NetlinkRequest {
        var message = NetlinkMessageBuilder(type: RouteNetlink.MessageType.newLink, flags: RouteNetlink.Flag.create | RouteNetlink.Flag.exclusive)
        message.appendLinkHeader()
        message.appendAttribute(RouteNetlink.LinkAttribute.name, string: hostName)
        message.appendAttribute(RouteNetlink.LinkAttribute.master, integer: UInt32(bitPattern: masterIndex))
        message.appendNested(RouteNetlink.LinkAttribute.linkInfo) { info in
            info.appendAttribute(RouteNetlink.LinkInfoAttribute.kind, string: "veth")
            info.appendNested(RouteNetlink.LinkInfoAttribute.data) { data in
                // VETH_INFO_PEER holds a whole ifinfomsg and its attributes: the peer's own "link message".
                data.appendNested(RouteNetlink.vethPeer) { peer in
                    peer.appendLinkHeader()
                    peer.appendAttribute(RouteNetlink.LinkAttribute.name, string: peerName)
                    peer.appendAttribute(RouteNetlink.LinkAttribute.namespaceFD, integer: UInt32(bitPattern: namespaceFD))
                }
            }
        }
        return NetlinkRequest(message, "RTM_NEWLINK: create veth pair \(hostName) (host) / \(peerName) (namespace fd \(namespaceFD))", hints: [
            EEXIST: "an interface named \(hostName) already exists on the host, or \(peerName) in the namespace: detach the old instance first",
            EBADF: "the namespace descriptor \(namespaceFD) is not open",
            EINVAL: "the namespace descriptor \(namespaceFD) may not be a network namespace",
            EOPNOTSUPP: "the kernel has no veth support: load it with `modprobe veth`",
            ENODEV: "the bridge (index \(masterIndex)) is gone: run Bridge.ensure again",
        ])
    }

    /// `RTM_SETLINK` for family `AF_BRIDGE` setting `IFLA_BRPORT_ISOLATED` on the bridge port `index`:
    /// the bridge forwards nothing between two isolated ports.
    static func isolateBridgePort(index: Int32, name: String) -> NetlinkRequest {
        var message = NetlinkMessageBuilder(type: RouteNetlink.MessageType.setLink, flags: 0)
        message.appendLinkHeader(family: RouteNetlink.familyBridge, index: index)
        // The bridge reads IFLA_PROTINFO without NLA_F_NESTED as an old STP-state byte: nested is required.
        message.appendNested(RouteNetlink.LinkAttribute.portInfo) { port in
            port.appendAttribute(RouteNetlink.bridgePortIsolated, integer: UInt8(1))
        }
        return NetlinkRequest(message, "RTM_SETLINK (AF_BRIDGE): isolate bridge port \(name) (index \(index))", hints: [
            EOPNOTSUPP: "\(name) is not a bridge port, or the kernel is older than 4.18 (no isolated ports)",
        ])
    }

    /// `RTM_DELLINK` for the interface called `name`; deleting one end of a veth pair deletes both.
    static func deleteLink(named name: String) -> NetlinkRequest {
        var message = NetlinkMessageBuilder(type: RouteNetlink.MessageType.deleteLink, flags: 0)
        message.appendLinkHeader()
        message.appendAttribute(RouteNetlink.LinkAttribute.name, string: name)
        return NetlinkRequest(message, "RTM_DELLINK: delete interface \(name)")
    }

    /// `RTM_NEWADDR` putting `address/prefixLength` on interface `index`. With `replace`, an existing
    /// equal address is updated instead of refused, which makes the request idempotent.
    static func addAddress(_ address: IPv4Address, prefixLength: Int, index: Int32, interfaceName: String, replace: Bool) -> NetlinkRequest {
        let flags = RouteNetlink.Flag.create | (replace ? RouteNetlink.Flag.replace : RouteNetlink.Flag.exclusive)
        var message = NetlinkMessageBuilder(type: RouteNetlink.MessageType.newAddress, flags: flags)
        message.appendAddressHeader(family: RouteNetlink.familyIPv4, prefixLength: UInt8(prefixLength),
                                    scope: RouteNetlink.universeScope, index: index)
        message.appendAttribute(RouteNetlink.AddressAttribute.local, address: address)
        message.appendAttribute(RouteNetlink.AddressAttribute.address, address: address)
        return NetlinkRequest(message, "RTM_NEWADDR: add \(address)/\(prefixLength) to \(interfaceName) (index \(index))", hints: [
            EEXIST: "\(interfaceName) already has \(address)",
        ])
    }

    /// `RTM_NEWROUTE` adding the default route via `gateway` on interface `index`.
    static func addDefaultRoute(via gateway: IPv4Address, index: Int32, interfaceName: String) -> NetlinkRequest {
        var message = NetlinkMessageBuilder(type: RouteNetlink.MessageType.newRoute, flags: RouteNetlink.Flag.create | RouteNetlink.Flag.exclusive)
        message.appendRouteHeader(family: RouteNetlink.familyIPv4, destinationLength: 0, table: RouteNetlink.mainTable,
                                  protocol: RouteNetlink.bootProtocol, scope: RouteNetlink.universeScope, type: RouteNetlink.unicastRoute)
        message.appendAttribute(RouteNetlink.RouteAttribute.gateway, address: gateway)
        message.appendAttribute(RouteNetlink.RouteAttribute.outputInterface, integer: UInt32(bitPattern: index))
        return NetlinkRequest(message, "RTM_NEWROUTE: default via \(gateway) dev \(interfaceName) (index \(index))", hints: [
            EEXIST: "the namespace already has a default route",
            ENETUNREACH: "\(gateway) is not in the subnet of \(interfaceName)'s address",
        ])
    }
}
