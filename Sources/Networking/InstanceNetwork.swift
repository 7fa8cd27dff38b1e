import Glibc
import Systemd

/// Connects instances' network namespaces to the bridge: per instance one veth pair, the host end an
/// isolated bridge port (instances cannot reach each other), the namespace end `eth0` with the
/// instance's address and a default route via the bridge.
///
/// Everything is rtnetlink on already-open sockets: two round trips on the host's socket and one on a
/// socket opened inside the namespace, with no process started and nothing scanned.
public struct InstanceNetwork: Sendable {
    /// The name of the interface inside every instance's namespace.
    public static let namespaceInterfaceName = "eth0"

    /// The bridge the host ends join; its subnet gives the prefix length and gateway.
    public let bridge: Bridge
    private let hostSocket: NetlinkSocket

    /// - Parameters:
    ///   - bridge: The bridge from ``Bridge/ensure(name:subnet:using:logger:)``.
    ///   - hostSocket: A netlink socket in the host's namespace, kept for all attaches and detaches.
    public init(bridge: Bridge, hostSocket: NetlinkSocket) {
        self.bridge = bridge
        self.hostSocket = hostSocket
    }

    /// Connects the network namespace `namespaceFD` to the bridge.
    ///
    /// Afterwards the namespace has `lo` up and `eth0` up with `address/prefix` and a default route via
    /// the bridge's address; the host has `hostInterface` as an isolated port of the bridge, up. If a step
    /// fails, the veth pair is deleted again.
    /// - Parameters:
    ///   - namespaceFD: An open descriptor of the namespace (`/proc/<pid>/ns/net`); the caller keeps it.
    ///   - hostInterface: The host end's name, unique on the host and at most 15 characters (`pt-<id>`).
    ///   - address: The instance's address in the bridge's subnet (from ``AddressAllocator``).
    /// - Throws: ``NetworkConfigurationError`` for a bad name or address, ``NetlinkError`` when the kernel
    ///   refuses (`EEXIST`: the host interface exists), `SystemCallError` when the namespace cannot be entered.
    public func attach(namespaceFD: Int32, hostInterface: String, address: IPv4Address) throws {
        try InterfaceName.validate(hostInterface, role: "host interface")
        let subnet = bridge.subnet
        guard subnet.isInstanceAddress(address) else {
            throw NetworkConfigurationError(
                .addressNotForInstances,
                "address \(address) cannot be given to an instance: use one of \(subnet) other than its network, "
                    + "gateway (\(subnet.gateway)) and broadcast addresses"
            )
        }
        let peerName = Self.namespaceInterfaceName

        // One datagram: create the pair (host end enslaved, both ends down), then read the host end back
        // for its index and its peer's index inside the namespace.
        let replies = try hostSocket.perform([
            .createVethPair(hostName: hostInterface, masterIndex: bridge.index, peerName: peerName, namespaceFD: namespaceFD),
            .getLink(named: hostInterface),
        ])
        do {
            guard let reply = replies[1], let hostEnd = LinkDescription(reply), let peerIndex = hostEnd.link else {
                throw NetlinkRequest.getLink(named: hostInterface).error(
                    errno: EBADMSG, problem: "the answer lacks the peer's index (IFLA_LINK); this is a bug in PaaSTech's netlink code")
            }
            // Isolated before up: the port never forwards to or from another instance.
            try hostSocket.perform([
                .isolateBridgePort(index: hostEnd.index, name: hostInterface),
                .setLinkUp(index: hostEnd.index, name: hostInterface),
            ])
            // (Opening this socket on a thread while the kernel creates the pair was measured: no faster.)
            try NetlinkSocket.inNamespace(fd: namespaceFD).perform([
                .setLinkUp(index: RouteNetlink.loopbackIndex, name: "lo"),
                .setLinkUp(index: peerIndex, name: peerName),
                .addAddress(address, prefixLength: subnet.prefixLength, index: peerIndex, interfaceName: peerName, replace: false),
                .addDefaultRoute(via: subnet.gateway, index: peerIndex, interfaceName: peerName),
            ])
        } catch {
            // The first error is the one worth reporting; the pair may already be gone with its namespace.
            try? detach(hostInterface: hostInterface)
            throw error
        }
    }

    /// Connects the network namespace of process `namespacePID` (the sandbox's first process): opens
    /// `/proc/<pid>/ns/net` for the call. See ``attach(namespaceFD:hostInterface:address:)``.
    public func attach(namespacePID: pid_t, hostInterface: String, address: IPv4Address) throws {
        let namespaceFD = try NetworkNamespace.open(pid: namespacePID)
        defer { SystemCall.closeQuietly(namespaceFD) }
        try attach(namespaceFD: namespaceFD, hostInterface: hostInterface, address: address)
    }

    /// Deletes an instance's veth pair by its host end (both ends go). Succeeds when the pair is already
    /// gone.
    ///
    /// Usually not needed: when an instance's last process exits, the kernel destroys its namespace and
    /// the pair with it. This is for taking a running instance off the network, or for cleaning up after
    /// a failure. It blocks for about 20 ms while the kernel waits for RCU grace periods: keep it off
    /// the start path.
    public func detach(hostInterface: String) throws(NetlinkError) {
        guard hostInterface != bridge.name else {
            throw NetlinkRequest.deleteLink(named: hostInterface).error(
                errno: EINVAL, problem: "\(hostInterface) is the bridge itself, not an instance's interface")
        }
        do {
            try hostSocket.perform(.deleteLink(named: hostInterface))
        } catch {
            guard error.errno == ENODEV else { throw error }
        }
    }
}
