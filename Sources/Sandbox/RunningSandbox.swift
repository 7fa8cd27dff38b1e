import Cgroups
import Glibc

/// A sandbox that is running: its init (pid as seen from the host), its cgroup and limits.
public struct RunningSandbox: Sendable {
    public let process: SpawnedProcess
    public let cgroup: Cgroup
    public let limits: ResourceLimits
    /// The sandbox's address on the platform bridge, if bridged.
    public let address: String?
    let runner: SandboxRunner
    let releaseNetwork: @Sendable () -> Void

    init(process: SpawnedProcess, cgroup: Cgroup, limits: ResourceLimits, address: String?, runner: SandboxRunner,
         releaseNetwork: @escaping @Sendable () -> Void) {
        self.process = process
        self.cgroup = cgroup
        self.limits = limits
        self.address = address
        self.runner = runner
        self.releaseNetwork = releaseNetwork
    }

    public var pid: pid_t { process.pid }

    public func signal(_ signal: Int32) {
        kill(process.pid, signal)
    }

    /// Waits for the sandbox to end, reports limit hits, and removes its cgroup.
    public func waitForExit() async -> SandboxExit {
        let status = await process.waitForExit()
        let events = cgroup.events()
        releaseNetwork()
        do {
            try await runner.cgroups.remove(cgroup)
        } catch {
            runner.logger.warning("could not remove a sandbox cgroup", metadata: ["error": "\(error)"])
        }
        return SandboxExit(status: status, events: events, limits: limits)
    }
}

/// How a sandbox ended.
public struct SandboxExit: Sendable, Equatable, CustomStringConvertible {
    /// The app's exit status, or 128 + signal.
    public var status: Int32
    public var events: CgroupEvents
    public var limits: ResourceLimits

    public var oomKilled: Bool { events.wasOOMKilled }

    public var description: String {
        var text = "exited with status \(status)"
        if oomKilled { text += "; killed for exceeding its memory limit (\(limits))" }
        if events.pidsMaxHits > 0 { text += "; hit its process limit \(events.pidsMaxHits) times" }
        return text
    }
}
