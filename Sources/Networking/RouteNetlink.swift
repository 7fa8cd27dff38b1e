import Glibc

/// Numbers from <linux/netlink.h>, <linux/rtnetlink.h>, <linux/if_link.h>, <linux/if_addr.h> and
/// <linux/veth.h>, which Swift's Glibc module does not expose. Part of the kernel's stable ABI.
enum RouteNetlink {
    static let protocolNumber: Int32 = 0  // NETLINK_ROUTE
    static let socketLevel: Int32 = 270  // SOL_NETLINK
    static let capAcknowledgementOption: Int32 = 10  // NETLINK_CAP_ACK: errors do not echo the request
    static let extendedAcknowledgementOption: Int32 = 11  // NETLINK_EXT_ACK: errors carry a text message

    static let headerSize = 16  // struct nlmsghdr
    static let attributeHeaderSize = 4  // struct rtattr / nlattr

    /// nlmsg_type values.
    enum MessageType {
        static let error: UInt16 = 2  // NLMSG_ERROR, also the ACK (error 0)
        static let done: UInt16 = 3  // NLMSG_DONE
        static let newLink: UInt16 = 16  // RTM_NEWLINK
        static let deleteLink: UInt16 = 17  // RTM_DELLINK
        static let getLink: UInt16 = 18  // RTM_GETLINK
        static let setLink: UInt16 = 19  // RTM_SETLINK
        static let newAddress: UInt16 = 20  // RTM_NEWADDR
        static let newRoute: UInt16 = 24  // RTM_NEWROUTE
    }

    /// nlmsg_flags values.
    enum Flag {
        static let request: UInt16 = 0x1  // NLM_F_REQUEST
        static let acknowledge: UInt16 = 0x4  // NLM_F_ACK
        static let replace: UInt16 = 0x100  // NLM_F_REPLACE
        static let exclusive: UInt16 = 0x200  // NLM_F_EXCL
        static let create: UInt16 = 0x400  // NLM_F_CREATE
        static let capped: UInt16 = 0x100  // NLM_F_CAPPED, in an NLMSG_ERROR: the request was not echoed
        static let acknowledgementAttributes: UInt16 = 0x200  // NLM_F_ACK_TLVS, in an NLMSG_ERROR
    }

    /// Attribute type flag of a nested attribute (NLA_F_NESTED).
    static let nestedFlag: UInt16 = 0x8000
    /// NLMSGERR_ATTR_MSG: the kernel's text explaining an error.
    static let errorMessageAttribute: UInt16 = 1

    /// IFLA_* attributes of a link message (struct ifinfomsg).
    enum LinkAttribute {
        static let name: UInt16 = 3  // IFLA_IFNAME
        static let link: UInt16 = 5  // IFLA_LINK: for a veth, the peer's index in its namespace
        static let master: UInt16 = 10  // IFLA_MASTER
        static let portInfo: UInt16 = 12  // IFLA_PROTINFO
        static let linkInfo: UInt16 = 18  // IFLA_LINKINFO
        static let namespaceFD: UInt16 = 28  // IFLA_NET_NS_FD
    }

    /// IFLA_INFO_* attributes nested in IFLA_LINKINFO.
    enum LinkInfoAttribute {
        static let kind: UInt16 = 1  // IFLA_INFO_KIND
        static let data: UInt16 = 2  // IFLA_INFO_DATA
    }

    static let vethPeer: UInt16 = 1  // VETH_INFO_PEER
    static let bridgePortIsolated: UInt16 = 33  // IFLA_BRPORT_ISOLATED

    /// IFA_* attributes of an address message (struct ifaddrmsg).
    enum AddressAttribute {
        static let address: UInt16 = 1  // IFA_ADDRESS
        static let local: UInt16 = 2  // IFA_LOCAL
    }

    /// RTA_* attributes of a route message (struct rtmsg).
    enum RouteAttribute {
        static let outputInterface: UInt16 = 4  // RTA_OIF
        static let gateway: UInt16 = 5  // RTA_GATEWAY
    }

    static let mainTable: UInt8 = 254  // RT_TABLE_MAIN
    static let bootProtocol: UInt8 = 3  // RTPROT_BOOT, what `ip route add` uses
    static let universeScope: UInt8 = 0  // RT_SCOPE_UNIVERSE
    static let unicastRoute: UInt8 = 1  // RTN_UNICAST

    /// The loopback device's index, the same in every network namespace (LOOPBACK_IFINDEX).
    static let loopbackIndex: Int32 = 1

    static let upFlag = UInt32(IFF_UP)
    static let familyUnspecified = UInt8(AF_UNSPEC)
    static let familyIPv4 = UInt8(AF_INET)
    static let familyBridge = UInt8(AF_BRIDGE)
}
