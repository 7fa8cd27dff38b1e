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
    /// Where the platform network lives; created on the first bridged sandbox.
    let networkSettings: NetworkSettings
    private let network = Mutex<SandboxNetwork?>(nil)

    /// The bridge, subnet and allocator state of bridged sandboxes.
    public struct NetworkSettings: Sendable {
        public var bridgeName = "paastech0"
        public var subnet = "10.88.0.0/16"
        public var stateDirectory = "/run/paastech/pomegranate"
        /// The nftables table (`inet <name>`); tests use their own so they never replace the platform's.
        public var firewallTable = Firewall.defaultTableName
        public init() {}
    }

    public init(initExecutable: String, stagingRoot: String, network: NetworkSettings = NetworkSettings(),
                logger: Logger = Logger(label: "sandbox")) throws {
        self.initExecutable = initExecutable
        networkSettings = network
        self.stagingRoot = stagingRoot
        self.logger = logger
        resolvConf = SandboxPaths.resolvConf()
        try FileManager.default.createDirectory(atPath: stagingRoot, withIntermediateDirectories: true)
        cgroups = try makeCgroupManager(logger: logger)
        try cgroups.prepare()
        seccomp = try SeccompProgram.compile()
        if !seccomp.unresolvedSyscalls.isEmpty {
            logger.warning("seccomp policy names syscalls this libseccomp does not know",
                           metadata: ["syscalls": "\(seccomp.unresolvedSyscalls.joined(separator: ","))"])
        }
    }

    /// A runner with the default locations, for the command line.
    public static func shared() throws -> SandboxRunner {
        guard let initExecutable = SandboxPaths.initExecutable() else {
            throw SandboxError.missingInit
        }
        return try SandboxRunner(initExecutable: initExecutable, stagingRoot: "/run/paastech/sandbox-root")
    }

    /// Starts the sandbox in a cgroup of its own and returns once its init runs the command.
    public func start(_ options: SandboxOptions) async throws -> RunningSandbox {
        guard let executable = options.command.first.flatMap({ SandboxPaths.resolve(command: $0) }) else {
            throw SandboxError.commandNotFound(options.command.first ?? "")
        }
        let name = try options.isBuild ? CgroupName.build(validating: options.id) : CgroupName.app(validating: options.id)
        let limits = ResourceLimits(memoryBytes: options.limits.memoryBytes, cpuQuota: options.limits.cpuQuota, pids: options.limits.pids)
        let cgroup = try cgroups.create(name, limits: limits)

        var filesystem = RootFilesystem.Options(hostname: options.hostname, uid: options.uid, gid: options.gid,
                                                initExecutable: initExecutable, resolvConf: resolvConf)
        filesystem.appDirectory = options.appDirectory
        filesystem.appWritable = options.appWritable
        filesystem.dataDirectory = options.dataDirectory
        filesystem.extraReadOnlyPaths = options.extraReadOnlyPaths
        filesystem.cgroupView = cgroups.mode == .unified ? .unified : .legacy(controllers: ["memory", "cpu", "pids"])
        var request = SpawnRequest(
            stagingRoot: stagingRoot, operations: RootFilesystem(options: filesystem).operations(),
            hostname: options.hostname, uid: options.uid, gid: options.gid, fds: options.stdio,
            workingDirectory: options.workingDirectory, executable: "/init",
            arguments: [executable] + options.command.dropFirst(), environment: options.fullEnvironment)
        request.seccompFilter = options.seccomp ? seccomp.filter : nil
        // cgroup v2: born in its cgroup. v1: moved there while it waits, before it execs anything.
        request.cgroupFD = cgroup.directoryFD
        var reservation: (SandboxNetwork, SandboxNetwork.Attachment)?
        do {
            if case .bridged(let egress) = options.network {
                let network = try platformNetwork()
                reservation = (network, try network.reserve(for: options.id, egress: egress))
            }
            // Wait for the parent when it has work to do between clone and exec.
            request.waitForParent = cgroup.directoryFD == nil || reservation != nil
            let (finalRequest, finalReservation) = (request, reservation)
            let process = try await Self.onDedicatedThread {
                try Spawner.spawn(finalRequest) { pid in
                    if cgroup.directoryFD == nil { try cgroup.attach(pid: pid) }
                    if let (network, attachment) = finalReservation { try network.connect(attachment, pid: pid) }
                }
            }
            return RunningSandbox(process: process, cgroup: cgroup, limits: limits,
                                  address: reservation?.1.address.description, runner: self) {
                if let (network, attachment) = finalReservation { network.release(attachment) }
            }
        } catch {
            if let (network, attachment) = reservation { network.release(attachment) }
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
                                             stateDirectory: networkSettings.stateDirectory, logger: logger)
            existing = created
            return created
        }
    }

    /// Runs the sandbox to completion.
    public func run(_ options: SandboxOptions) async throws -> SandboxExit {
        try await start(options).waitForExit()
    }

    /// Blocking work (clone, waiting for exec, waitpid) off the cooperative pool.
    static func onDedicatedThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            do {
                try DetachedThread.start { continuation.resume(with: Result { try body() }) }
            } catch {
                continuation.resume(throwing: error)
            }
        }
    }

    static func onDedicatedThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            do {
                try DetachedThread.start { continuation.resume(returning: body()) }
            } catch {
                // No thread to be had (resource exhaustion): block this one rather than never answer.
                continuation.resume(returning: body())
            }
        }
    }
}

public enum SandboxError: Error, CustomStringConvertible, Sendable {
    case missingInit
    case commandNotFound(String)

    public var description: String {
        switch self {
        case .missingInit:
            "paastech-init was not found next to paastech or in /usr/lib/paastech: build it (swift build) or reinstall the package"
        case .commandNotFound(let name):
            "\(name): no such program in the sandbox (give an absolute path, or a name found in /usr/local/bin, /usr/bin or /usr/sbin)"
        }
    }
}
