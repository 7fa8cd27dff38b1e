import Foundation
import Glibc
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
    let pool: NetworkPool
    let logger: Logger

    init(subnet: IPv4Subnet, bridgeName: String, firewallTable: String, stateDirectory: String, poolSize: Int, logger: Logger) throws {
        self.logger = logger
        let socket = try NetlinkSocket()
        bridge = try Bridge.ensure(name: bridgeName, subnet: subnet, using: socket, logger: logger)
        instances = InstanceNetwork(bridge: bridge, hostSocket: socket)
        try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
        // Written off the start and exit paths: see AddressAllocator on why that is safe for live restore
        // (the pool starts filling only with the first new sandbox, after any adoption).
        allocator = try AddressAllocator(subnet: subnet, stateDirectory: stateDirectory, savesInBackground: true) { [logger] error in
            logger.warning("cannot save the address state; retried on the next change", metadata: ["error": "\(error)"])
        }
        // Prepared namespaces of a previous process died with it; their addresses are free again. (A state
        // directory belongs to one process at a time.)
        for (address, id) in allocator.allocations where id.hasPrefix(NetworkPool.placeholderPrefix) {
            try allocator.release(address)
        }
        firewall = try Firewall(tableName: firewallTable, logger: logger)
        // Applying replaces the table: carry over the egress blocks of instances that outlived a restart
        // (their addresses are still allocated), so they never get egress while being re-adopted.
        var kept: [IPv4Address] = []
        do {
            let allocated = allocator.allocations
            kept = try firewall.noEgressAddresses().filter { allocated[$0] != nil }
        } catch {
            logger.warning("cannot read the egress blocks to keep; adopted sandboxes get theirs back when adopted",
                           metadata: ["error": "\(error)"])
        }
        try firewall.apply(FirewallConfiguration(bridgeName: bridgeName, subnet: subnet, noEgressAddresses: kept))
        pool = NetworkPool(capacity: poolSize, instances: instances, allocator: allocator, logger: logger)
    }

    /// The host end of an instance's veth pair: at most 15 characters, derived from its id.
    static func hostInterface(for id: String) -> String {
        "pt-" + String(id.filter { $0.isLetter || $0.isNumber }.suffix(12))
    }

    /// Gives an instance an address and, when the pool has one ready, a namespace already wired with it
    /// (``Attachment/preparedNamespaceFD``); otherwise call `connect` once the sandbox's namespace exists.
    func reserve(for id: String, egress: Bool) throws -> Attachment {
        if let entry = pool.take(for: id) {
            let attachment = Attachment(address: entry.address, hostInterface: entry.hostInterface, egress: egress,
                                        preparedNamespaceFD: entry.namespaceFD)
            do {
                if !egress { try firewall.setEgress(address: entry.address, allowed: false) }
            } catch {
                attachment.closePreparedNamespace()
                try? allocator.release(entry.address)
                throw error
            }
            return attachment
        }
        let address = try allocator.allocate(for: id)
        do {
            if !egress { try firewall.setEgress(address: address, allowed: false) }
        } catch {
            try? allocator.release(address)
            throw error
        }
        return Attachment(address: address, hostInterface: Self.hostInterface(for: id), egress: egress, preparedNamespaceFD: nil)
    }

    /// Live restore: the instance keeps `address` (recorded for it if the state lost it) and, without
    /// egress, its block (idempotent: ``init`` normally kept it already).
    func readopt(_ address: IPv4Address, for id: String, egress: Bool) throws -> Attachment {
        try allocator.claim(address, for: id)
        if !egress { try firewall.setEgress(address: address, allowed: false) }
        return Attachment(address: address, hostInterface: Self.hostInterface(for: id), egress: egress, preparedNamespaceFD: nil)
    }

    func connect(_ attachment: Attachment, pid: pid_t) throws {
        try instances.attach(namespacePID: pid, hostInterface: attachment.hostInterface, address: attachment.address)
    }

    /// After sandbox `id` ended: the veth pair goes with its namespace (an explicit delete would
    /// wait ~19 ms for RCU), so only the address and the egress block are released. The address only while
    /// `id` still holds it: the release may run in the background, after a reconcile freed it for another.
    func release(_ attachment: Attachment, of id: String) {
        if !attachment.egress { try? firewall.setEgress(address: attachment.address, allowed: true) }
        guard allocator.allocations[attachment.address] == id else { return }
        try? allocator.release(attachment.address)
    }

    /// Frees the address (and lifts the egress block) of `address` held by `id`, if it holds it: the
    /// clean-up of a sandbox that did not survive.
    func forget(_ address: IPv4Address, of id: String) {
        guard allocator.allocations[address] == id else { return }
        try? firewall.setEgress(address: address, allowed: true)
        try? allocator.release(address)
    }

    /// Frees the addresses of every instance not in `ids`, and their egress blocks.
    /// - Returns: The addresses freed.
    func reconcile(keeping ids: Set<String>) throws -> [IPv4Address] {
        // The pool's own placeholders stay, including those of entries being made right now.
        let freed = try allocator.reconcile { ids.contains($0) || $0.hasPrefix(NetworkPool.placeholderPrefix) }
        guard !freed.isEmpty else { return [] }
        let blocked = Set((try? firewall.noEgressAddresses()) ?? freed)
        for address in freed where blocked.contains(address) {
            try? firewall.setEgress(address: address, allowed: true)
        }
        return freed
    }

    struct Attachment: Sendable {
        let address: IPv4Address
        let hostInterface: String
        let egress: Bool
        /// A namespace from the pool, already wired: the child joins it. Close it once the child has.
        let preparedNamespaceFD: Int32?

        func closePreparedNamespace() {
            if let preparedNamespaceFD { close(preparedNamespaceFD) }
        }
    }
}
