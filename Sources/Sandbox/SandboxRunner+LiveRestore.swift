import Cgroups
import CSpawn
import Foundation
import Glibc
import Networking

extension SandboxRunner {
    /// Re-adopts a sandbox that outlived a pomegranate restart (live restore), from what the previous
    /// pomegranate recorded about it.
    ///
    /// Opens its cgroup leaf and checks that `pid` is in it and alive (a pid recorded before the restart
    /// may since belong to a stranger), watches it by a pidfd, and takes its network reservation back:
    /// its address stays recorded for it, and without egress its block is put back in the firewall. The
    /// returned sandbox's exit status will be unknown (nil): pomegranate is not its parent any more.
    /// - Parameters:
    ///   - id: The sandbox id it was started with (``SandboxOptions/id``).
    ///   - isBuild: Whether it is a build (``SandboxOptions/isBuild``).
    ///   - pid: Its init's pid (``RunningSandbox/pid``).
    ///   - address: Its bridge address (``RunningSandbox/address``), nil when it was not bridged.
    ///   - egress: Whether a bridged sandbox may reach the outside world (``RunningSandbox/egress``).
    ///   - limits: The limits it was started with (they are still in its cgroup; kept for reports).
    /// - Returns: The running sandbox, or nil when it is gone: then its leftover cgroup and address are
    ///   cleaned up.
    /// - Throws: A `CgroupError` for a bad id or an unreadable cgroup, ``SandboxError/invalidAddress(_:)``,
    ///   or a networking error when its address or egress block cannot be restored.
    public func adopt(id: String, isBuild: Bool, pid: pid_t, address: String?, egress: Bool,
                      limits: SandboxOptions.Limits) async throws -> RunningSandbox? {
        let name = try isBuild ? CgroupName.build(validating: id) : CgroupName.app(validating: id)
        let parsedAddress = try address.map { text throws(SandboxError) -> IPv4Address in
            guard let parsed = IPv4Address(text) else { throw .invalidAddress(text) }
            return parsed
        }
        guard let cgroup = try cgroups.adopt(name) else {
            try forgetNetwork(parsedAddress, of: id)
            return nil
        }
        // pidfd first, then membership, then liveness: the process behind the pidfd was alive throughout,
        // so it kept its pid, and the pid found in the cgroup is that process.
        let pidfd = paastech_pidfd_open(pid)
        let identity = pidfd >= 0 ? try? SessionIdentity(readingProcess: pid) : nil
        guard pidfd >= 0, cgroup.processes().contains(pid), let identity, paastech_pidfd_send_signal(pidfd, 0) == 0 else {
            if pidfd >= 0 { close(pidfd) }
            logger.info("sandbox did not survive; cleaning up", metadata: ["sandbox": "\(id)", "pid": "\(pid)"])
            do {
                try await cgroups.remove(cgroup)
            } catch {
                logger.warning("could not remove a leftover sandbox cgroup", metadata: ["sandbox": "\(id)", "error": "\(error)"])
            }
            try forgetNetwork(parsedAddress, of: id)
            return nil
        }
        let process = SpawnedProcess(pid: pid, pidfd: pidfd, isChild: false)
        var reservation: (SandboxNetwork, SandboxNetwork.Attachment)?
        if let parsedAddress {
            let network = try platformNetwork()
            reservation = (network, try network.readopt(parsedAddress, for: id, egress: egress))
        }
        let finalReservation = reservation
        return RunningSandbox(id: id, isBuild: isBuild, process: process, cgroup: cgroup, limits: limits.resourceLimits,
                              address: parsedAddress?.description, egress: address == nil || egress, identity: identity,
                              runner: self) {
            if let (network, attachment) = finalReservation { network.release(attachment, of: id) }
        }
    }

    /// Removes what sandboxes that are not live left behind after a crash: every cgroup leaf (app or
    /// build) whose id is not in `ids` (killing anything still in it), and the addresses and egress blocks
    /// of instances not in `ids`. Call it once after adopting the sandboxes that survived, before starting
    /// new ones (a sandbox being started meanwhile would count as a leftover).
    /// - Parameter ids: The ids of the sandboxes that are live (adopted ones and any started since).
    /// - Returns: The ids whose leftovers were removed.
    @discardableResult
    public func reconcile(keeping ids: Set<String>) async throws -> Set<String> {
        var removed: Set<String> = []
        for name in try cgroups.existing() where !ids.contains(name.id) {
            guard let cgroup = try cgroups.adopt(name) else { continue }
            try await cgroups.remove(cgroup)
            removed.insert(name.id)
        }
        if FileManager.default.fileExists(atPath: networkSettings.stateDirectory + "/" + AddressAllocator.stateFileName) {
            let network = try platformNetwork()
            let holders = network.allocator.allocations
            for address in try network.reconcile(keeping: ids) {
                if let id = holders[address] { removed.insert(id) }
            }
        }
        if !removed.isEmpty { logger.info("removed leftovers of sandboxes that are gone", metadata: ["sandboxes": "\(removed.sorted())"]) }
        return removed
    }

    /// Frees the address of a sandbox that is gone, if the network is in use.
    private func forgetNetwork(_ address: IPv4Address?, of id: String) throws {
        guard let address else { return }
        try platformNetwork().forget(address, of: id)
    }
}
