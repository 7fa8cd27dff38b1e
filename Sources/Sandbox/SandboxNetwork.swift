import Foundation
import Logging
import Networking
import Synchronization

/// The platform network as sandboxes use it: the bridge, the firewall table, the address
/// allocator and per-instance veth pairs. Set up once, on the first bridged sandbox.
final class SandboxNetwork: Sendable {
    let instances: InstanceNetwork
    let allocator: AddressAllocator
    let firewall: Firewall
    let bridge: Bridge

    init(subnet: IPv4Subnet, bridgeName: String, firewallTable: String, stateDirectory: String, logger: Logger) throws {
        let socket = try NetlinkSocket()
        bridge = try Bridge.ensure(name: bridgeName, subnet: subnet, using: socket, logger: logger)
        instances = InstanceNetwork(bridge: bridge, hostSocket: socket)
        try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
        allocator = try AddressAllocator(subnet: subnet, stateDirectory: stateDirectory)
        firewall = try Firewall(tableName: firewallTable, logger: logger)
        try firewall.apply(FirewallConfiguration(bridgeName: bridgeName, subnet: subnet))
    }

    /// The host end of an instance's veth pair: at most 15 characters, derived from its id.
    static func hostInterface(for id: String) -> String {
        "pt-" + String(id.filter { $0.isLetter || $0.isNumber }.suffix(12))
    }

    /// Gives an instance an address; call `connect` once its namespace exists.
    func reserve(for id: String, egress: Bool) throws -> Attachment {
        let address = try allocator.allocate(for: id)
        do {
            if !egress { try firewall.setEgress(address: address, allowed: false) }
        } catch {
            try? allocator.release(address)
            throw error
        }
        return Attachment(address: address, hostInterface: Self.hostInterface(for: id), egress: egress)
    }

    func connect(_ attachment: Attachment, pid: pid_t) throws {
        try instances.attach(namespacePID: pid, hostInterface: attachment.hostInterface, address: attachment.address)
    }

    /// After the sandbox ended: the veth pair goes with its namespace (an explicit delete would
    /// wait ~19 ms for RCU), so only the address and the egress block are released.
    func release(_ attachment: Attachment) {
        if !attachment.egress { try? firewall.setEgress(address: attachment.address, allowed: true) }
        try? allocator.release(attachment.address)
    }

    struct Attachment: Sendable {
        let address: IPv4Address
        let hostInterface: String
        let egress: Bool
    }
}
