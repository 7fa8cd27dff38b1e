import CSpawn
import Glibc

/// Everything the C child needs, as Swift values. `Spawner.spawn` turns it into C memory before
/// cloning: nothing is allocated, resolved or logged after clone.
public struct SpawnRequest: Sendable {
    public var namespaces: Namespaces = .all
    /// cgroup v2: the leaf's directory fd, for CLONE_INTO_CGROUP.
    public var cgroupFD: Int32?
    /// The child waits until `beforeRelease` ran (cgroup v1 attach, network set-up).
    public var waitForParent = true
    /// An empty host directory; each sandbox mounts its own tmpfs over it in its own mount namespace.
    public var stagingRoot: String
    public var rootOptions = "mode=0755,size=16m"
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

/// A started sandbox: its init's pid (as seen from the host) and a pidfd to watch it.
public struct SpawnedProcess: Sendable {
    public let pid: pid_t
    public let pidfd: Int32

    /// Waits (off the cooperative pool) and reaps; the exit status, or 128 + signal.
    public func waitForExit() async -> Int32 {
        await SandboxRunner.onDedicatedThread {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            close(pidfd)
            return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        }
    }
}

public enum Spawner {
    /// Clones the child and runs `beforeRelease(pid)` while it waits; returns once the sandbox's
    /// init has exec'd, or throws the stage at which the child failed. Blocking: call it from a
    /// dedicated thread, not the cooperative pool.
    public static func spawn(_ request: SpawnRequest, beforeRelease: (pid_t) throws -> Void = { _ in }) throws -> SpawnedProcess {
        let memory = CMemory()
        defer { memory.free() }
        let root = request.stagingRoot
        var operations = request.operations.map { memory.operation($0, root: root) }
        let fds = request.fds
        let filter = request.seccompFilter ?? []
        let argv = memory.array([request.executable] + request.arguments)
        let envp = memory.array(request.environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })
        // On cgroup v1 the child joins its cgroup after clone, so it unshares the cgroup namespace then.
        let lateCgroupNamespace = request.namespaces.contains(.cgroup) && request.cgroupFD == nil
        let cloneFlags = lateCgroupNamespace ? request.namespaces.subtracting(.cgroup).rawValue : request.namespaces.rawValue

        var child = paastech_child()
        let result: Int32 = operations.withUnsafeMutableBufferPointer { operationBuffer in
            fds.withUnsafeBufferPointer { fdBuffer in
                filter.withUnsafeBytes { filterBytes in
                    var plan = paastech_spawn_plan()
                    plan.clone_flags = cloneFlags
                    plan.cgroup_fd = request.cgroupFD ?? -1
                    plan.wait_for_parent = request.waitForParent || lateCgroupNamespace ? 1 : 0
                    plan.unshare_after_release = lateCgroupNamespace ? Int32(CLONE_NEWCGROUP) : 0
                    plan.root = memory.string(root)
                    plan.root_options = memory.string(request.rootOptions)
                    plan.operations = UnsafePointer(operationBuffer.baseAddress)
                    plan.operation_count = operationBuffer.count
                    plan.readonly_root = request.readOnlyRoot ? 1 : 0
                    plan.hostname = memory.string(request.hostname)
                    plan.loopback_up = request.namespaces.contains(.network) ? 1 : 0
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
        return SpawnedProcess(pid: child.pid, pidfd: child.pidfd)
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
