/// One planned write to a cgroup interface file. The limits are turned into these as data first, so what
/// gets written can be checked without a cgroup file system.
struct CgroupFileWrite: Sendable, Equatable, CustomStringConvertible {
    /// The interface file in the cgroup's directory, e.g. `memory.max`.
    let file: String
    /// The exact text written (no newline).
    let value: String
    /// True when a missing file is fine: the write only removes a limit, or the kernel may lack the feature
    /// (swap accounting off). A missing file for a real limit is an error.
    let skipIfMissing: Bool

    init(_ file: String, _ value: String, skipIfMissing: Bool = false) {
        self.file = file
        self.value = value
        self.skipIfMissing = skipIfMissing
    }

    var description: String { "\(file)=\(value)" }
}

extension ResourceLimits {
    /// The writes for a cgroup v2 leaf, in order.
    var unifiedWrites: [CgroupFileWrite] {
        let period = Self.cpuPeriodMicroseconds
        return [
            memoryBytes.map { CgroupFileWrite("memory.max", "\($0)") }
                ?? CgroupFileWrite("memory.max", "max", skipIfMissing: true),
            // No swap for sandboxes; the file is absent when the kernel has no swap accounting.
            CgroupFileWrite("memory.swap.max", "0", skipIfMissing: true),
            cpuQuotaMicroseconds.map { CgroupFileWrite("cpu.max", "\($0) \(period)") }
                ?? CgroupFileWrite("cpu.max", "max \(period)", skipIfMissing: true),
            pids.map { CgroupFileWrite("pids.max", "\($0)") }
                ?? CgroupFileWrite("pids.max", "max", skipIfMissing: true),
        ]
    }

    /// The writes for the cgroup v1 leaf of `controller`, in order.
    func legacyWrites(for controller: LegacyController) -> [CgroupFileWrite] {
        switch controller {
        case .memory:
            let limit = memoryBytes.map { "\($0)" } ?? "-1"
            // memory+swap must stay >= memory: lift it first (a reused leaf may hold a smaller one), then set
            // it equal to the memory limit, which leaves no room for swap. Absent without swap accounting.
            return [
                CgroupFileWrite("memory.memsw.limit_in_bytes", "-1", skipIfMissing: true),
                CgroupFileWrite("memory.limit_in_bytes", limit, skipIfMissing: memoryBytes == nil),
                CgroupFileWrite("memory.memsw.limit_in_bytes", limit, skipIfMissing: true),
                CgroupFileWrite("memory.swappiness", "0", skipIfMissing: true),
            ]
        case .cpu:
            return [
                CgroupFileWrite("cpu.cfs_period_us", "\(Self.cpuPeriodMicroseconds)", skipIfMissing: cpuQuota == nil),
                cpuQuotaMicroseconds.map { CgroupFileWrite("cpu.cfs_quota_us", "\($0)") }
                    ?? CgroupFileWrite("cpu.cfs_quota_us", "-1", skipIfMissing: true),
            ]
        case .pids:
            return [
                pids.map { CgroupFileWrite("pids.max", "\($0)") }
                    ?? CgroupFileWrite("pids.max", "max", skipIfMissing: true),
            ]
        case .cpuacct:
            return []  // accounting only
        }
    }
}
