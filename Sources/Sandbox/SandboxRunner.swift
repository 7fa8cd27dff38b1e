import Foundation
import Glibc
import Cgroups
import Logging
import Networking
import Synchronization
import Seccomp
import Systemd

/// Runs sandboxes: plans the root filesystem, compiles the seccomp filter once, places each
/// sandbox in a cgroup with its limits and on the network, and spawns it through the C child.
public final class SandboxRunner: Sendable {
    let initExecutable: String
    let stagingRoot: String
    let resolvConf: String
    let cgroups: any CgroupManager
    /// Compiled once: every sandbox gets the same filter.
    let seccomp: SeccompProgram
    let logger: Logger
    /// The host paths a root filesystem plan looks at, checked once: existing ones → whether a directory.
    let hostPaths: [String: Bool]
    /// Where the platform network lives; created on the first bridged sandbox.
    let networkSettings: NetworkSettings
    private let network = Mutex<SandboxNetwork?>(nil)
    /// Cgroups of ended sandboxes being removed in the background.
    let cgroupRemovals: CgroupRemovals
    /// cgroup v1 leaves made ahead of time; nil on cgroup v2 or when not wanted.
    let cgroupPool: CgroupPool?
    /// Template roots the sandboxes' children copy.
    let templates: RootTemplates

    /// The bridge, subnet and allocator state of bridged sandboxes.
    public struct NetworkSettings: Sendable {
        public var bridgeName = "paastech0"
        public var subnet = "10.88.0.0/16"
        public var stateDirectory = "/run/paastech/pomegranate"
        /// The nftables table (`inet <name>`); tests use their own so they never replace the platform's.
        public var firewallTable = Firewall.defaultTableName
        /// How many network namespaces to keep wired ahead of time (0: none, each sandbox wires its own).
        public var poolSize = 4
        public init() {}
    }

    /// - Parameters:
    ///   - initExecutable: Host path of paastech-init, bound at `/init` in every sandbox.
    ///   - stagingRoot: An empty host directory each sandbox mounts its root tmpfs over (in its own mount namespace).
    ///   - network: Where bridged sandboxes' network lives.
    ///   - cgroups: The cgroup backend; by default the one that fits this host, below this process's cgroup.
    ///   - logger: For warnings about clean-up and the seccomp policy.
    ///   - spareCgroups: cgroup v1: leaves to keep made ahead of time per set of limits (see ``CgroupPool``).
    public init(initExecutable: String, stagingRoot: String, network: NetworkSettings = NetworkSettings(),
                cgroups: (any CgroupManager)? = nil, logger: Logger = Logger(label: "sandbox"), spareCgroups: Int = 2) throws {
        self.initExecutable = initExecutable
        networkSettings = network
        self.stagingRoot = stagingRoot
        self.logger = logger
        resolvConf = SandboxPaths.resolvConf()
        var hostPaths: [String: Bool] = [:]
        for path in RootFilesystem.hostPathsChecked where FileManager.default.fileExists(atPath: path) {
            hostPaths[path] = RootFilesystem.hostIsDirectory(path)
        }
        self.hostPaths = hostPaths
        try FileManager.default.createDirectory(atPath: stagingRoot, withIntermediateDirectories: true)
        let manager = try cgroups ?? makeCgroupManager(logger: logger)
        try manager.prepare()
        self.cgroups = manager
        cgroupRemovals = CgroupRemovals(manager: manager, logger: logger)
        cgroupPool = spareCgroups > 0 ? (manager as? CgroupV1Manager).map { CgroupPool(capacity: spareCgroups, manager: $0, logger: logger) } : nil
        templates = RootTemplates(stagingRoot: stagingRoot, rootOptions: SpawnRequest.defaultRootOptions, logger: logger)
        seccomp = try SeccompProgram.compile()
        if !seccomp.unresolvedSyscalls.isEmpty {
            logger.warning("seccomp policy names syscalls this libseccomp does not know",
                           metadata: ["syscalls": "\(seccomp.unresolvedSyscalls.joined(separator: ","))"])
        }
    }

    /// A runner with the default locations, for the command line.
    /// - Parameters:
    ///   - networkPoolSize: Network namespaces to keep wired ahead of time; none by default, as a one-off
    ///     command starts at most one sandbox.
    ///   - spareCgroups: cgroup v1 leaves to keep made ahead of time; none by default, for the same reason.
    public static func shared(networkPoolSize: Int = 0, spareCgroups: Int = 0) throws -> SandboxRunner {
        guard let initExecutable = SandboxPaths.initExecutable() else {
            throw SandboxError.missingInit
        }
        var network = NetworkSettings()
        network.poolSize = networkPoolSize
        return try SandboxRunner(initExecutable: initExecutable, stagingRoot: "/run/paastech/sandbox-root", network: network,
                                 spareCgroups: spareCgroups)
    }

    /// Starts the sandbox in a cgroup of its own and returns once its init runs the command.
    public func start(_ options: SandboxOptions) async throws -> RunningSandbox {
        guard let executable = options.command.first.flatMap({ SandboxPaths.resolve(command: $0) }) else {
            throw SandboxError.commandNotFound(options.command.first ?? "")
        }
        let name = try options.isBuild ? CgroupName.build(validating: options.id) : CgroupName.app(validating: options.id)
        // Held fds follow stdio (3, 4, ...); the init keeps them and closes them in the app.
        let hold = options.heldFDs.isEmpty ? [] : ["--hold=\(options.heldFDs.count)"]
        let environment = options.fullEnvironment
        var request = SpawnRequest(
            stagingRoot: stagingRoot, operations: [],
            hostname: options.hostname, uid: options.uid, gid: options.gid, fds: options.stdio + options.heldFDs,
            workingDirectory: options.workingDirectory, executable: "/init",
            arguments: hold + [executable] + options.command.dropFirst(), environment: environment)
        request.seccompFilter = options.seccomp ? seccomp.filter : nil
        let root = try await prepareRoot(for: options, in: &request)
        defer { root.closeMovedMounts() }

        let limits = options.limits.resourceLimits
        await cgroupRemovals.waitUntilRemoved(name)
        let cgroup = try cgroupPool?.take(name, isBuild: options.isBuild, limits: limits) ?? cgroups.create(name, limits: limits)
        // cgroup v2: born in its cgroup. v1: it moves itself there first, before it execs anything.
        request.cgroupFD = cgroup.directoryFD
        request.cgroupAttachFDs = cgroup.selfAttachDirectoryFDs
        var reservation: (SandboxNetwork, SandboxNetwork.Attachment)?
        do {
            var egress = true
            if case .bridged(let allowed) = options.network {
                let network = try platformNetwork()
                reservation = (network, try network.reserve(for: options.id, egress: allowed))
                egress = allowed
            }
            // A namespace from the pool is joined by the child; otherwise the parent wires the child's own
            // while it waits (the only parent work between clone and exec).
            request.networkNamespaceFD = reservation?.1.preparedNamespaceFD
            let mustConnect = reservation != nil && request.networkNamespaceFD == nil
            request.waitForParent = mustConnect
            let (finalRequest, finalReservation) = (request, reservation)
            // Once the child has joined it (or failed), the pool's namespace needs no fd of ours.
            defer { finalReservation?.1.closePreparedNamespace() }
            let process = try await Self.onSpawnThread {
                // The template's fd must stay open until the child has entered it.
                try withExtendedLifetime(root) {
                    try Spawner.spawn(finalRequest) { pid in
                        if mustConnect, let (network, attachment) = finalReservation { try network.connect(attachment, pid: pid) }
                    }
                }
            }
            let identity = SessionIdentity(uid: options.uid, gid: options.gid, seccomp: options.seccomp, environment: environment)
            return RunningSandbox(id: options.id, isBuild: options.isBuild, process: process, cgroup: cgroup, limits: limits,
                                  address: reservation?.1.address.description, egress: egress, identity: identity, runner: self,
                                  mountNamespace: MountNamespaceHold(pid: process.pid)) {
                if let (network, attachment) = finalReservation { network.release(attachment, of: options.id) }
            }
        } catch {
            if let (network, attachment) = reservation { network.release(attachment, of: options.id) }
            try? await cgroups.remove(cgroup)
            throw error
        }
    }

    /// The bridge, firewall and allocator, set up by the first bridged sandbox.
    func platformNetwork() throws -> SandboxNetwork {
        try network.withLock { existing in
            if let existing { return existing }
            let subnet = try IPv4Subnet(parsing: networkSettings.subnet)
            let created = try SandboxNetwork(subnet: subnet, bridgeName: networkSettings.bridgeName,
                                             firewallTable: networkSettings.firewallTable,
                                             stateDirectory: networkSettings.stateDirectory,
                                             poolSize: networkSettings.poolSize, logger: logger)
            existing = created
            return created
        }
    }

    /// Returns once the background work started so far has finished: the teardown of ended sandboxes (cgroup
    /// removal, mount namespace release: after their exit was reported) and the refills of the pools of
    /// network namespaces and spare cgroups.
    public func waitForBackgroundWork() async {
        await cgroupRemovals.waitUntilIdle()
        await MountNamespaceHold.waitUntilReleased()
        await network.withLock({ $0 })?.pool.waitUntilRefilled()
        await cgroupPool?.waitUntilRefilled()
    }

    /// Runs the sandbox to completion.
    public func run(_ options: SandboxOptions) async throws -> SandboxExit {
        try await start(options).waitForExit()
    }

    /// Blocking work off the cooperative pool, on a thread of its own that exits afterwards: for work that
    /// changes the calling thread (building a template moves it into another mount namespace).
    static func onDedicatedThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            do {
                try DetachedThread.start { continuation.resume(with: Result { try body() }) }
            } catch {
                continuation.resume(throwing: error)
            }
        }
    }

    /// Spawning (clone, waiting for the exec: about a millisecond, blocking) off the cooperative pool, on
    /// reused threads: creating one per spawn costs ~60 µs. The spawn leaves the thread as it found it.
    static let spawnQueue = DispatchQueue(label: "paastech.sandbox.spawn", attributes: .concurrent)

    static func onSpawnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            spawnQueue.async { continuation.resume(with: Result { try body() }) }
        }
    }
}

