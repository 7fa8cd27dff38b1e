import Glibc
import Testing

@testable import Networking

/// Byte layout of requests and parsing of answers, without a socket.
struct NetlinkMessageTests {
    private func integer<Value: FixedWidthInteger>(_ bytes: [UInt8], at offset: Int, as: Value.Type = Value.self) -> Value {
        NetlinkAlignment.loadInteger(bytes[...], at: offset)
    }

    @Test func headerAndAlignedAttributes() {
        var builder = NetlinkMessageBuilder(type: RouteNetlink.MessageType.newLink, flags: RouteNetlink.Flag.create)
        builder.appendLinkHeader(family: 7, index: 42, flags: 1, change: 1)
        builder.appendAttribute(RouteNetlink.LinkAttribute.name, string: "pt-1")  // 4 + 5 bytes, padded to 12
        builder.appendAttribute(RouteNetlink.LinkAttribute.master, integer: UInt32(9))
        let bytes = builder.finished(sequence: 77)

        #expect(bytes.count == 16 + 16 + 12 + 8)
        #expect(integer(bytes, at: 0, as: UInt32.self) == UInt32(bytes.count))
        #expect(integer(bytes, at: 4, as: UInt16.self) == 16)
        #expect(integer(bytes, at: 6, as: UInt16.self) == RouteNetlink.Flag.create | RouteNetlink.Flag.request)
        #expect(integer(bytes, at: 8, as: UInt32.self) == 77)
        #expect(integer(bytes, at: 12, as: UInt32.self) == 0)
        // ifinfomsg
        #expect(bytes[16] == 7)
        #expect(integer(bytes, at: 20, as: Int32.self) == 42)
        #expect(integer(bytes, at: 24, as: UInt32.self) == 1)
        #expect(integer(bytes, at: 28, as: UInt32.self) == 1)
        // IFLA_IFNAME: length 9 (header + "pt-1\0"), then 3 bytes of padding
        #expect(integer(bytes, at: 32, as: UInt16.self) == 9)
        #expect(integer(bytes, at: 34, as: UInt16.self) == 3)
        #expect(Array(bytes[36..<41]) == Array("pt-1".utf8) + [0])
        #expect(Array(bytes[41..<44]) == [0, 0, 0])
        // IFLA_MASTER
        #expect(integer(bytes, at: 44, as: UInt16.self) == 8)
        #expect(integer(bytes, at: 48, as: UInt32.self) == 9)
    }

    @Test func nestedAttributesCarryTheirLengthAndFlag() {
        var builder = NetlinkMessageBuilder(type: RouteNetlink.MessageType.setLink, flags: 0)
        builder.appendLinkHeader(family: RouteNetlink.familyBridge, index: 5)
        builder.appendNested(RouteNetlink.LinkAttribute.portInfo) { port in
            port.appendAttribute(RouteNetlink.bridgePortIsolated, integer: UInt8(1))
        }
        let bytes = builder.finished(sequence: 1)
        #expect(bytes.count == 16 + 16 + 4 + 8)
        #expect(integer(bytes, at: 32, as: UInt16.self) == 12)
        #expect(integer(bytes, at: 34, as: UInt16.self) == RouteNetlink.LinkAttribute.portInfo | 0x8000)
        #expect(integer(bytes, at: 36, as: UInt16.self) == 5)
        #expect(integer(bytes, at: 38, as: UInt16.self) == 33)
        #expect(bytes[40] == 1)
    }

    @Test func vethRequestNestsThePeerLinkMessage() throws {
        let request = NetlinkRequest.createVethPair(hostName: "pt-7", masterIndex: 12, peerName: "eth0", namespaceFD: 9)
        let bytes = request.message.finished(sequence: 3)
        let message = try #require(NetlinkMessage.split(bytes[...])?.first)
        #expect(message.type == RouteNetlink.MessageType.newLink)
        #expect(message.flags & (RouteNetlink.Flag.create | RouteNetlink.Flag.exclusive) == RouteNetlink.Flag.create | RouteNetlink.Flag.exclusive)
        // The host end is created down: it comes up only after its port is isolated.
        #expect(NetlinkAlignment.loadInteger(message.payload, at: 8) as UInt32 == 0)
        let attributes = NetlinkAttributes(message.payload.dropFirst(16))
        #expect(attributes.string(RouteNetlink.LinkAttribute.name) == "pt-7")
        #expect(attributes.integer(RouteNetlink.LinkAttribute.master, as: UInt32.self) == 12)
        let linkInfo = NetlinkAttributes(try #require(attributes[RouteNetlink.LinkAttribute.linkInfo]))
        #expect(linkInfo.string(RouteNetlink.LinkInfoAttribute.kind) == "veth")
        let data = NetlinkAttributes(try #require(linkInfo[RouteNetlink.LinkInfoAttribute.data]))
        let peer = try #require(data[RouteNetlink.vethPeer])
        #expect(NetlinkAlignment.loadInteger(peer, at: 8) as UInt32 == 0, "the peer cannot come up before it is paired")
        let peerAttributes = NetlinkAttributes(peer.dropFirst(16))
        #expect(peerAttributes.string(RouteNetlink.LinkAttribute.name) == "eth0")
        #expect(peerAttributes.integer(RouteNetlink.LinkAttribute.namespaceFD, as: UInt32.self) == 9)
    }

    @Test func routeAndAddressRequests() throws {
        let gateway = try IPv4Address(parsing: "10.88.0.1")
        let route = NetlinkRequest.addDefaultRoute(via: gateway, index: 2, interfaceName: "eth0").message.finished(sequence: 1)
        // rtmsg: AF_INET, /0, main table, boot protocol, universe scope, unicast
        #expect(Array(route[16..<24]) == [UInt8(AF_INET), 0, 0, 0, 254, 3, 0, 1])
        let routeAttributes = NetlinkAttributes(route[28...])
        #expect(routeAttributes[RouteNetlink.RouteAttribute.gateway].map(Array.init) == [10, 88, 0, 1])
        #expect(routeAttributes.integer(RouteNetlink.RouteAttribute.outputInterface, as: UInt32.self) == 2)

        let address = try IPv4Address(parsing: "10.88.3.4")
        let add = NetlinkRequest.addAddress(address, prefixLength: 16, index: 2, interfaceName: "eth0", replace: false).message.finished(sequence: 1)
        #expect(Array(add[16..<20]) == [UInt8(AF_INET), 16, 0, 0])
        #expect(NetlinkAlignment.loadInteger(add[...], at: 20) as UInt32 == 2)
        let addressAttributes = NetlinkAttributes(add[24...])
        #expect(addressAttributes[RouteNetlink.AddressAttribute.local].map(Array.init) == [10, 88, 3, 4])
        #expect(addressAttributes[RouteNetlink.AddressAttribute.address].map(Array.init) == [10, 88, 3, 4])
    }

    /// An NLMSG_ERROR as the kernel sends it with NETLINK_CAP_ACK and NETLINK_EXT_ACK.
    private func errorMessage(errno: Int32, sequence: UInt32, text: String?) -> [UInt8] {
        var builder = NetlinkMessageBuilder(type: RouteNetlink.MessageType.error, flags: 0)
        builder.flags = RouteNetlink.Flag.capped | (text == nil ? 0 : RouteNetlink.Flag.acknowledgementAttributes)
        var payload = withUnsafeBytes(of: -errno) { Array($0) }
        // The request's header: length 40, type RTM_NEWLINK.
        payload += withUnsafeBytes(of: UInt32(40)) { Array($0) } + withUnsafeBytes(of: UInt16(16)) { Array($0) } + [UInt8](repeating: 0, count: 10)
        var bytes = builder.finished(sequence: sequence) + payload
        if let text {
            var attributes = NetlinkMessageBuilder(type: 0, flags: 0)
            attributes.appendAttribute(RouteNetlink.errorMessageAttribute, string: text)
            bytes += attributes.bytes.dropFirst(16)
        }
        bytes.replaceSubrange(0..<4, with: withUnsafeBytes(of: UInt32(bytes.count)) { Array($0) })
        return bytes
    }

    @Test func readsErrorsAndTheKernelsExplanation() throws {
        let datagram = errorMessage(errno: EEXIST, sequence: 5, text: "Unknown device type") + errorMessage(errno: 0, sequence: 6, text: nil)
        let messages = try #require(NetlinkMessage.split(datagram[...]))
        #expect(messages.count == 2)
        #expect(messages[0].sequence == 5)
        #expect(messages[0].acknowledgedError == EEXIST)
        #expect(messages[0].kernelErrorMessage == "Unknown device type")
        #expect(messages[1].acknowledgedError == 0)
        #expect(messages[1].kernelErrorMessage == nil)

        let error = NetlinkRequest.createBridge(named: "pttest0").error(errno: EOPNOTSUPP, kernelMessage: "Unknown device type")
        #expect(error.description.contains("RTM_NEWLINK: create bridge pttest0"))
        #expect(error.description.contains("the kernel says: Unknown device type"))
        #expect(error.description.contains("modprobe bridge"))
    }

    @Test func refusesInconsistentLengths() {
        var bytes = errorMessage(errno: 0, sequence: 1, text: nil)
        bytes.replaceSubrange(0..<4, with: withUnsafeBytes(of: UInt32(bytes.count + 8)) { Array($0) })
        #expect(NetlinkMessage.split(bytes[...]) == nil)
        bytes.replaceSubrange(0..<4, with: withUnsafeBytes(of: UInt32(3)) { Array($0) })
        #expect(NetlinkMessage.split(bytes[...]) == nil)
    }
}
