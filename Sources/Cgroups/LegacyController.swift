/// The cgroup v1 controllers we use, each its own hierarchy at `/sys/fs/cgroup/<name>`.
public enum LegacyController: String, Sendable, CaseIterable, Hashable {
    /// Memory limit, swap, OOM kill counter.
    case memory
    /// CFS bandwidth (the CPU quota).
    case cpu
    /// Process and thread limit.
    case pids
    /// CPU usage accounting. Optional: often co-mounted with `cpu` (`cpu,cpuacct`), then the same directory.
    case cpuacct

    /// Controllers without which limits cannot be enforced.
    var isRequired: Bool { self != .cpuacct }
}
