import Glibc
import Logging
import Systemd

/// The host's bridge that every instance's veth is a port of (`paastech0`), carrying the gateway address.
public struct Bridge: Sendable, Equatable {
    /// The default bridge name.
    public static let defaultName = "paastech0"

    /// The interface name, e.g. `paastech0`.
    public let name: String
    /// The kernel's interface index; valid until the bridge is deleted.
    public let index: Int32
    /// The platform subnet; the bridge carries its gateway address.
    public let subnet: IPv4Subnet

    /// The bridge's own address, which instances use as their default gateway (`10.88.0.1`).
    public var gatewayAddress: IPv4Address { subnet.gateway }

    /// Makes sure the bridge exists with the gateway address and is up, and that the host forwards IPv4.
    ///
    /// Idempotent: an existing bridge is kept with its ports, so instances that survived a pomegranate
    /// restart keep working. An existing bridge keeps any other addresses it has.
    /// - Parameters:
    ///   - name: The bridge's interface name.
    ///   - subnet: The platform subnet; the bridge gets its gateway address (`10.88.0.1/16`).
    ///   - socket: A netlink socket in the host's network namespace.
    /// - Throws: ``NetworkConfigurationError`` for a bad name or an interface of that name that is not a
    ///   bridge, ``NetlinkError`` when the kernel refuses, `SystemCallError` when IPv4 forwarding cannot be
    ///   enabled.
    public static func ensure(
        name: String = defaultName,
        subnet: IPv4Subnet,
        using socket: NetlinkSocket,
        logger: Logger = Logger(label: "paastech.networking")
    ) throws -> Bridge {
        try InterfaceName.validate(name, role: "bridge")
        try subnet.validateForInstances()
        var link = try existingLink(named: name, using: socket)
        if link == nil {
            do throws(NetlinkError) {
                try socket.perform(.createBridge(named: name))
                logger.info("created bridge", metadata: ["bridge": "\(name)", "subnet": "\(subnet)"])
            } catch {
                // EEXIST: created by someone else between the look-up and now; use theirs.
                guard error.errno == EEXIST else { throw error }
            }
            link = try existingLink(named: name, using: socket)
        }
        guard let link else {
            throw NetlinkError(request: "RTM_GETLINK: look up bridge \(name) after creating it", errno: ENODEV,
                               hint: "something deleted it at once; try again")
        }
        guard link.kind == "bridge" else {
            throw NetworkConfigurationError(
                .notABridge,
                "interface \(name) exists but is \(link.kind.map { "a \($0)" } ?? "a physical device"), not a bridge; "
                    + "delete it or configure another bridge name"
            )
        }
        try socket.perform([
            .addAddress(subnet.gateway, prefixLength: subnet.prefixLength, index: link.index, interfaceName: name, replace: true),
            .setLinkUp(index: link.index, name: name),
        ])
        // Routing between the bridge and the host's uplink is what gives instances egress (with the
        // firewall's masquerade); the firewall's forward chain limits what is forwarded.
        try SystemCall.ensureSysctl("/proc/sys/net/ipv4/ip_forward", "1")
        logger.debug("bridge ready", metadata: ["bridge": "\(name)", "index": "\(link.index)", "address": "\(subnet.gateway)/\(subnet.prefixLength)"])
        return Bridge(name: name, index: link.index, subnet: subnet)
    }

    /// The link called `name`, or nil if there is none.
    static func existingLink(named name: String, using socket: NetlinkSocket) throws(NetlinkError) -> LinkDescription? {
        let request = NetlinkRequest.getLink(named: name)
        let reply: NetlinkMessage
        do throws(NetlinkError) {
            reply = try socket.query(request)
        } catch {
            guard error.errno == ENODEV else { throw error }
            return nil
        }
        guard let link = LinkDescription(reply) else {
            throw request.error(errno: EBADMSG, problem: "the answer is not a link message; this is a bug in PaaSTech's netlink code")
        }
        return link
    }
}
