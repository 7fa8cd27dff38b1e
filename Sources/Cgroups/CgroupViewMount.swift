/// A directory a sandbox should bind read-only so the app can see its own limits and usage.
///
/// - cgroup v2: one mount, the leaf directory at `/sys/fs/cgroup`. The app sees `memory.max`,
///   `memory.current`, `cpu.max`, `pids.max`, `memory.events`, ... of its own cgroup at the place runtimes
///   (JVM, Node, Go's GOMAXPROCS helpers) look for them.
/// - cgroup v1: one mount per controller, the leaf directories at `/sys/fs/cgroup/memory`, `/sys/fs/cgroup/cpu`,
///   `/sys/fs/cgroup/pids` (and `cpuacct` when mounted). The sandbox must first mount a small tmpfs at
///   `/sys/fs/cgroup` to hold these mount points. The app sees `memory/memory.limit_in_bytes`,
///   `cpu/cpu.cfs_quota_us`, `pids/pids.max`, ... of its own cgroup, read-only.
public struct CgroupViewMount: Sendable, Equatable {
    /// The host directory to bind.
    public let hostPath: String
    /// Where it goes inside the sandbox.
    public let sandboxPath: String

    /// - Parameters:
    ///   - hostPath: The host directory to bind.
    ///   - sandboxPath: Where it goes inside the sandbox.
    public init(hostPath: String, sandboxPath: String) {
        self.hostPath = hostPath
        self.sandboxPath = sandboxPath
    }
}
