import Cgroups
import Glibc
import Synchronization

/// A sandbox that is running: its init (pid as seen from the host), its cgroup, limits and address.
///
/// Started by ``SandboxRunner/start(_:)`` or re-adopted after a pomegranate restart by
/// ``SandboxRunner/adopt(id:isBuild:pid:address:egress:limits:)``. ``waitForExit()`` and
/// ``terminate(gracePeriod:)`` may run at the same time, from any tasks: all get the same
/// ``SandboxExit``, and the clean-up (cgroup, address) happens once.
public final class RunningSandbox: Sendable {
    /// The sandbox id (`SandboxOptions.id`): names its cgroup and its veth.
    public let id: String
    /// A build (`builds/build-<id>`) rather than an app instance.
    public let isBuild: Bool
    /// The sandbox's init.
    public let process: SpawnedProcess
    public let cgroup: Cgroup
    public let limits: ResourceLimits
    /// The sandbox's address on the platform bridge, if bridged.
    public let address: String?
    /// Whether a bridged sandbox may reach the outside world (always true when not bridged).
    public let egress: Bool
    /// Who sessions run as, and under which filter and environment.
    let identity: SessionIdentity
    let runner: SandboxRunner
    let releaseNetwork: @Sendable () -> Void
    /// Keeps the sandbox's mount namespace past its init's exit, so that tearing it down (an RCU grace
    /// period for its ~40 mounts) happens after the exit is reported, not on the way there.
    let mountNamespace: MountNamespaceHold?
    private let ending = Mutex<Ending>(.running)
    private let killedAfterGracePeriod = Atomic<Bool>(false)

    private enum Ending {
        case running
        case cleaningUp([CheckedContinuation<SandboxExit, Never>])
        case ended(SandboxExit)
    }

    init(id: String, isBuild: Bool, process: SpawnedProcess, cgroup: Cgroup, limits: ResourceLimits, address: String?,
         egress: Bool, identity: SessionIdentity, runner: SandboxRunner, mountNamespace: MountNamespaceHold? = nil,
         releaseNetwork: @escaping @Sendable () -> Void) {
        self.id = id
        self.isBuild = isBuild
        self.process = process
        self.cgroup = cgroup
        self.limits = limits
        self.address = address
        self.egress = egress
        self.identity = identity
        self.runner = runner
        self.releaseNetwork = releaseNetwork
        self.mountNamespace = mountNamespace
    }

    /// The init's pid in the host's pid namespace.
    public var pid: pid_t { process.pid }

    /// Whether this sandbox was adopted after a restart (then its exit status is not known).
    public var isAdopted: Bool { !process.isChild }

    /// Sends `signal` to the sandbox's init, which forwards SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1,
    /// SIGUSR2 and SIGWINCH to the app. SIGKILL ends the whole sandbox (its pid namespace goes with init).
    public func signal(_ signal: Int32) {
        process.signal(signal)
    }

    /// A copy of the `index`-th held fd (``SandboxOptions/heldFDs``), taken from the init with
    /// `pidfd_getfd`. The caller owns it.
    /// - Throws: `SystemCallError` when the sandbox has ended or holds no such fd.
    public func duplicateHeldFD(at index: Int) throws -> Int32 {
        try SandboxProcess.duplicateFD(pid: pid, pidfd: process.pidfd, targetFD: 3 + Int32(index))
    }

    /// Waits for the sandbox to end, reports limit hits, releases its address and removes its cgroup (both in the
    /// background, after this returns; a new sandbox of the same id waits for them).
    public func waitForExit() async -> SandboxExit {
        let status = await process.waitForExit()
        let mustCleanUp = ending.withLock { ending -> Bool in
            guard case .running = ending else { return false }
            ending = .cleaningUp([])
            return true
        }
        guard mustCleanUp else {
            return await withCheckedContinuation { continuation in
                let ready = ending.withLock { ending -> SandboxExit? in
                    switch ending {
                    case .ended(let exit):
                        return exit
                    case .cleaningUp(let waiting):
                        ending = .cleaningUp(waiting + [continuation])
                        return nil
                    case .running:
                        return nil  // safe: only reached after the first caller moved it past .running
                    }
                }
                if let ready { continuation.resume(returning: ready) }
            }
        }
        let events = cgroup.events(memoryLimit: limits.memoryBytes)
        // The address goes back in the background with the cgroup (a new sandbox of this id waits for both);
        // an egress block is lifted here, so that no address is blocked for longer than its sandbox ran.
        if egress {
            runner.cgroupRemovals.remove(cgroup, after: releaseNetwork)
        } else {
            releaseNetwork()
            runner.cgroupRemovals.remove(cgroup)
        }
        let exit = SandboxExit(status: status, events: events, limits: limits,
                               killedAfterGracePeriod: killedAfterGracePeriod.load(ordering: .acquiring))
        let waiting = ending.withLock { ending -> [CheckedContinuation<SandboxExit, Never>] in
            defer { ending = .ended(exit) }
            if case .cleaningUp(let waiting) = ending { return waiting }
            return []
        }
        for continuation in waiting { continuation.resume(returning: exit) }
        mountNamespace?.releaseInBackground()
        return exit
    }

    /// Stops the sandbox gracefully: SIGTERM to the init (which forwards it to the app), then, if it has
    /// not ended within `gracePeriod`, SIGKILL to the init and every process in its cgroup.
    /// - Returns: How it ended (``SandboxExit/killedAfterGracePeriod`` tells which way); the same value a
    ///   concurrent ``waitForExit()`` returns.
    public func terminate(gracePeriod: Duration) async -> SandboxExit {
        signal(SIGTERM)
        await withTaskGroup(of: Void.self) { group in
            group.addTask { _ = await self.process.waitForExit() }
            group.addTask {
                try? await Task.sleep(for: gracePeriod)
                if !Task.isCancelled { self.killEverything() }
            }
            _ = await group.next()
            group.cancelAll()
        }
        return await waitForExit()
    }

    /// SIGKILL to the init (its pid namespace dies with it) and to every process in the cgroup.
    private func killEverything() {
        killedAfterGracePeriod.store(true, ordering: .releasing)
        process.signal(SIGKILL)
        for pid in cgroup.processes() { kill(pid, SIGKILL) }
    }
}
