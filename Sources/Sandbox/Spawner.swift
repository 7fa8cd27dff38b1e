import CSpawn
import Glibc

/// Everything the C child needs, as Swift values. `Spawner.spawn` turns it into C memory before
/// cloning: nothing is allocated, resolved or logged after clone.
public struct SpawnRequest: Sendable {
    public var namespaces: Namespaces = .all
    /// cgroup v2: the leaf's directory fd, for CLONE_INTO_CGROUP.
    public var cgroupFD: Int32?
    /// cgroup v1: leaf directory fds the child moves itself into before anything else (no parent work).
    public var cgroupAttachFDs: [Int32] = []
    /// A prepared network namespace the child joins instead of getting a new one.
    public var networkNamespaceFD: Int32?
    /// The child waits until `beforeRelease` ran (cgroup v1 attach by the parent, network set-up). Without
    /// it the child is made like posix_spawn makes one (sharing memory until it execs), which is faster.
    public var waitForParent = true
    /// An empty host directory; each sandbox mounts its own tmpfs over it in its own mount namespace.
    public var stagingRoot: String
    public var rootOptions = SpawnRequest.defaultRootOptions
    /// tmpfs options of a sandbox's root.
    public static let defaultRootOptions = "mode=0755,size=16m"
    public var operations: [MountOperation]
    public var readOnlyRoot = true
    public var hostname: String
    public var uid: uid_t
    public var gid: gid_t
    /// fds[0...2] become stdin, stdout and stderr; later ones 3, 4, ...
    public var fds: [Int32]
    /// Raw `struct sock_filter` instructions; nil for no filter.
    public var seccompFilter: [UInt8]?
    public var workingDirectory: String
    public var executable: String
    public var arguments: [String]
    public var environment: [String: String]
    public var dieWithParent = false
    /// A session: a pidfd of the process whose namespaces the child joins (pid, mount, uts, ipc, net,
    /// cgroup) instead of getting new ones; `namespaces`, `stagingRoot`, `operations`, `readOnlyRoot` and
    /// `hostname` are then not used. The caller keeps the pidfd open.
    public var joining: Int32?
    /// A template mount namespace (``Spawner/buildTemplate(stagingRoot:rootOptions:operations:)``) the child
    /// copies instead of building a root: `operations` then run inside the copy (paths inside the root,
    /// no staging prefix) and `stagingRoot` and `readOnlyRoot` are not used.
    public var template: Int32?
    /// With a template: detached mounts of host directories (from `paastech_clone_mount`) attached at these
    /// paths inside the copy. The caller keeps and closes the fds.
    public var movedMounts: [(fd: Int32, target: String)] = []

    public init(stagingRoot: String, operations: [MountOperation], hostname: String, uid: uid_t, gid: gid_t, fds: [Int32],
                workingDirectory: String, executable: String, arguments: [String], environment: [String: String]) {
        self.stagingRoot = stagingRoot
        self.operations = operations
        self.hostname = hostname
        self.uid = uid
        self.gid = gid
        self.fds = fds
        self.workingDirectory = workingDirectory
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
    }
}

/// Linux namespaces a sandbox gets.
public struct Namespaces: OptionSet, Sendable {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    public static let pid = Namespaces(rawValue: UInt64(CLONE_NEWPID))
    public static let mount = Namespaces(rawValue: UInt64(CLONE_NEWNS))
    public static let uts = Namespaces(rawValue: UInt64(CLONE_NEWUTS))
    public static let ipc = Namespaces(rawValue: UInt64(CLONE_NEWIPC))
    public static let network = Namespaces(rawValue: UInt64(CLONE_NEWNET))
    public static let cgroup = Namespaces(rawValue: UInt64(CLONE_NEWCGROUP))
    public static let all: Namespaces = [.pid, .mount, .uts, .ipc, .network, .cgroup]
}

public enum Spawner {
    /// Clones the child and runs `beforeRelease(pid)` while it waits; returns once the sandbox's
    /// init has exec'd, or throws the stage at which the child failed. Blocking: call it off the
    /// cooperative pool; for a session, from a thread that exits afterwards (it enters the target's pid
    /// namespace for the clone).
    public static func spawn(_ request: SpawnRequest, beforeRelease: (pid_t) throws -> Void = { _ in }) throws -> SpawnedProcess {
        let memory = CMemory()
        defer { memory.free() }
        // With a template the child is inside its root already: no staging prefix.
        let root = request.template == nil ? request.stagingRoot : ""
        var operations = request.joining == nil ? request.operations.map { memory.operation($0, root: root) } : []
        let fds = request.fds
        let attachFDs = request.cgroupAttachFDs
        let attachPointer = memory.integers(attachFDs)
        let movedMounts = request.template == nil ? [] : request.movedMounts
        let movedFDs = memory.integers(movedMounts.map(\.fd))
        let movedTargets = memory.array(movedMounts.map(\.target))
        let filter = request.seccompFilter ?? []
        let argv = memory.array([request.executable] + request.arguments)
        let envp = memory.array(request.environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })
        // On cgroup v1 the child joins its cgroup after clone, so it unshares the cgroup namespace then.
        var namespaces: Namespaces = request.joining == nil ? request.namespaces : []
        if request.networkNamespaceFD != nil { namespaces.remove(.network) }
        // The child copies the template's mount namespace instead of ours (which it would throw away).
        if request.template != nil { namespaces.remove(.mount) }
        let lateCgroupNamespace = namespaces.contains(.cgroup) && request.cgroupFD == nil
        let cloneFlags = lateCgroupNamespace ? namespaces.subtracting(.cgroup).rawValue : namespaces.rawValue
        let isSession = request.joining != nil

        var child = paastech_child()
        let result: Int32 = operations.withUnsafeMutableBufferPointer { operationBuffer in
            fds.withUnsafeBufferPointer { fdBuffer in
                filter.withUnsafeBytes { filterBytes in
                    var plan = paastech_spawn_plan()
                    plan.clone_flags = cloneFlags
                    plan.cgroup_fd = request.cgroupFD ?? -1
                    // On cgroup v1 the parent attaches the child unless it attaches itself.
                    plan.wait_for_parent = request.waitForParent || (lateCgroupNamespace && attachFDs.isEmpty) ? 1 : 0
                    plan.unshare_after_release = lateCgroupNamespace ? Int32(CLONE_NEWCGROUP) : 0
                    plan.root = isSession || request.template != nil ? nil : memory.string(root)
                    plan.root_options = memory.string(request.rootOptions)
                    plan.operations = UnsafePointer(operationBuffer.baseAddress)
                    plan.operation_count = operationBuffer.count
                    plan.readonly_root = request.readOnlyRoot && !isSession && request.template == nil ? 1 : 0
                    plan.hostname = isSession ? nil : memory.string(request.hostname)
                    plan.loopback_up = namespaces.contains(.network) ? 1 : 0
                    plan.last_capability = Self.lastCapability
                    plan.uid = request.uid
                    plan.gid = request.gid
                    plan.fds = fdBuffer.baseAddress
                    plan.fd_count = fdBuffer.count
                    plan.filter = filter.isEmpty ? nil : filterBytes.baseAddress
                    plan.filter_length = UInt16(filter.count / 8)
                    plan.cwd = memory.string(request.workingDirectory)
                    plan.path = memory.string(request.executable)
                    plan.argv = argv
                    plan.envp = envp
                    plan.die_with_parent = request.dieWithParent ? 1 : 0
                    plan.join_pidfd = request.joining ?? -1
                    plan.attach_cgroup_fds = attachPointer
                    plan.attach_cgroup_count = attachFDs.count
                    plan.network_fd = request.networkNamespaceFD ?? -1
                    plan.template_fd = request.template ?? -1
                    plan.moved_mount_fds = movedFDs
                    plan.moved_mount_targets = movedTargets
                    plan.moved_mount_count = movedMounts.count
                    return paastech_spawn(&plan, &child)
                }
            }
        }
        guard result == 0 else { throw SpawnError(stage: .clone, errno: -result) }

        do {
            try beforeRelease(child.pid)
        } catch {
            // The child sees end-of-file instead of the go byte and exits; reap it.
            kill(child.pid, SIGKILL)
            close(child.release_fd)
            child.release_fd = -1
            close(child.report_fd)
            reap(child)
            throw error
        }
        let released = paastech_release(&child)
        var stage: Int32 = 0, detail: Int32 = 0, error: Int32 = 0
        let report = paastech_wait_for_exec(&child, &stage, &detail, &error)
        guard released == 0, report == 0 else {
            reap(child)
            if report == 1 {
                let failed = SpawnError.stage(stage)
                throw SpawnError(stage: failed, errno: error,
                                 operation: failed == .operation && Int(detail) < request.operations.count ? request.operations[Int(detail)] : nil)
            }
            throw SpawnError(stage: .parentSetup, errno: released != 0 ? -released : -report)
        }
        return SpawnedProcess(pid: child.pid, pidfd: child.pidfd, isChild: true)
    }

    /// The highest capability this kernel knows (`/proc/sys/kernel/cap_last_cap`), read once; 0 (meaning
    /// all 64) when unreadable.
    static let lastCapability: Int32 = {
        let fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 16)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return 0 }
        return Int32(String(decoding: buffer.prefix(count), as: UTF8.self).filter(\.isNumber)) ?? 0
    }()

    /// Builds a template root (see `paastech_build_template`) on the calling thread, which must be a
    /// dedicated one that exits afterwards: it moves into the template's mount namespace.
    /// - Returns: An fd of the template mount namespace; the caller owns it.
    public static func buildTemplate(stagingRoot: String, rootOptions: String, operations: [MountOperation]) throws(SpawnError) -> Int32 {
        let memory = CMemory()
        defer { memory.free() }
        var converted = operations.map { memory.operation($0, root: stagingRoot) }
        var stage: Int32 = 0, detail: Int32 = 0
        let result = converted.withUnsafeMutableBufferPointer { buffer in
            var plan = paastech_spawn_plan()
            plan.cgroup_fd = -1
            plan.network_fd = -1
            plan.join_pidfd = -1
            plan.template_fd = -1
            plan.root = memory.string(stagingRoot)
            plan.root_options = memory.string(rootOptions)
            plan.operations = UnsafePointer(buffer.baseAddress)
            plan.operation_count = buffer.count
            plan.readonly_root = 1
            return paastech_build_template(&plan, &stage, &detail)
        }
        guard result >= 0 else {
            let failed = SpawnError.stage(stage)
            throw SpawnError(stage: failed, errno: -result,
                             operation: failed == .operation && Int(detail) < operations.count ? operations[Int(detail)] : nil)
        }
        return result
    }

    private static func reap(_ child: paastech_child) {
        var status: Int32 = 0
        while waitpid(child.pid, &status, 0) < 0 && errno == EINTR {}
        close(child.pidfd)
    }
}

/// C strings and arrays that live until `free()`: the child gets its own copy at clone.
final class CMemory {
    private var allocations: [UnsafeMutableRawPointer] = []

    func string(_ value: String) -> UnsafePointer<CChar> {
        let pointer = strdup(value)!  // safe: strdup fails only when out of memory, which Swift traps on anyway
        allocations.append(pointer)
        return UnsafePointer(pointer)
    }

    func array(_ values: [String]) -> UnsafePointer<UnsafeMutablePointer<CChar>?> {
        let array = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: values.count + 1)
        for (index, value) in values.enumerated() { array[index] = UnsafeMutablePointer(mutating: string(value)) }
        array[values.count] = nil
        allocations.append(UnsafeMutableRawPointer(array))
        return UnsafePointer(array)
    }

    func integers(_ values: [Int32]) -> UnsafePointer<Int32>? {
        guard !values.isEmpty else { return nil }
        let array = UnsafeMutablePointer<Int32>.allocate(capacity: values.count)
        array.initialize(from: values, count: values.count)
        allocations.append(UnsafeMutableRawPointer(array))
        return UnsafePointer(array)
    }

    /// Sources starting with "/" are host paths; "@/x" is `/x` inside the new root. Targets are inside the root.
    func operation(_ operation: MountOperation, root: String) -> paastech_operation {
        var result = paastech_operation()
        func inRoot(_ path: String) -> UnsafePointer<CChar> { string(root + path) }
        switch operation {
        case .makeDirectory(let path, let mode):
            result.kind = Int32(PAASTECH_MKDIR.rawValue); result.target = inRoot(path); result.mode = UInt32(mode)
        case .touch(let path):
            result.kind = Int32(PAASTECH_TOUCH.rawValue); result.target = inRoot(path)
        case .mount(let source, let target, let type, let flags, let data):
            result.kind = Int32(PAASTECH_MOUNT.rawValue)
            result.source = source.map { $0.hasPrefix("@") ? inRoot(String($0.dropFirst())) : string($0) }
            result.target = inRoot(target)
            result.fstype = type.map(string)
            result.flags = flags
            result.data = data.map(string)
        case .symlink(let destination, let at):
            result.kind = Int32(PAASTECH_SYMLINK.rawValue); result.source = string(destination); result.target = inRoot(at)
        case .characterDevice(let path, let major, let minor, let mode):
            // makedev(3), a macro Swift cannot call: the Linux dev_t layout.
            let device = (UInt(major & 0xfff) << 8) | UInt(minor & 0xff) | (UInt(minor & ~0xff) << 12) | (UInt(major & ~0xfff) << 32)
            result.kind = Int32(PAASTECH_MKNOD.rawValue); result.target = inRoot(path); result.mode = UInt32(mode); result.flags = device
        case .writeFile(let path, let contents, let mode):
            result.kind = Int32(PAASTECH_WRITE.rawValue); result.target = inRoot(path)
            result.data = string(contents); result.length = contents.utf8.count; result.mode = UInt32(mode)
        }
        return result
    }

    func free() {
        for pointer in allocations { Glibc.free(pointer) }
        allocations.removeAll()
    }
}
