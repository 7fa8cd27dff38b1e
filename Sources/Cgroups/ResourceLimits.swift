/// The limits of one cgroup. `nil` means no limit for that resource.
public struct ResourceLimits: Sendable, Hashable, CustomStringConvertible {
    /// The most memory the cgroup's processes may use, in bytes. Swap is always off for sandboxes.
    public var memoryBytes: UInt64?
    /// CPU time as a number of cores, e.g. `0.5` for half a core; enforced per 100 ms period.
    public var cpuQuota: Double?
    /// The most processes and threads that may exist in the cgroup at once.
    public var pids: Int?

    /// No limits at all.
    public static let none = ResourceLimits()

    /// The CFS period both cgroup versions use for ``cpuQuota``, in microseconds.
    static let cpuPeriodMicroseconds: UInt64 = 100_000
    /// The kernel rejects a CFS quota below 1 ms.
    static let minimumCPUQuotaMicroseconds: UInt64 = 1_000

    /// - Parameters:
    ///   - memoryBytes: Memory limit in bytes, or nil for none.
    ///   - cpuQuota: CPU cores (fractional), or nil for none.
    ///   - pids: Process and thread limit, or nil for none.
    public init(memoryBytes: UInt64? = nil, cpuQuota: Double? = nil, pids: Int? = nil) {
        self.memoryBytes = memoryBytes
        self.cpuQuota = cpuQuota
        self.pids = pids
    }

    /// Rejects values the kernel would refuse or misread, before anything is written.
    func validate() throws(CgroupError) {
        if let memoryBytes, memoryBytes == 0 || memoryBytes > UInt64(Int64.max) {
            throw .invalidLimits("memory must be between 1 byte and \(Int64.max) bytes, not \(memoryBytes)")
        }
        if let cpuQuota, !(cpuQuota.isFinite && cpuQuota > 0 && cpuQuota <= 100_000) {
            throw .invalidLimits("the CPU quota must be a positive number of cores, not \(cpuQuota)")
        }
        if let pids, pids <= 0 {
            throw .invalidLimits("the process limit must be positive, not \(pids)")
        }
    }

    /// The CFS quota for one period, in microseconds; at least the kernel's 1 ms minimum.
    var cpuQuotaMicroseconds: UInt64? {
        cpuQuota.map { cores in
            max(Self.minimumCPUQuotaMicroseconds, UInt64((cores * Double(Self.cpuPeriodMicroseconds)).rounded()))
        }
    }

    /// E.g. `memory 64 MiB, cpu 0.5 cores, pids 10`, for messages such as "OOM-killed (memory 64 MiB)".
    public var description: String {
        var parts: [String] = []
        if let memoryBytes { parts.append("memory \(Self.formatBytes(memoryBytes))") }
        if let cpuQuota { parts.append("cpu \(cpuQuota) cores") }
        if let pids { parts.append("pids \(pids)") }
        return parts.isEmpty ? "no limits" : parts.joined(separator: ", ")
    }

    /// Whole MiB or GiB when exact, bytes otherwise.
    static func formatBytes(_ bytes: UInt64) -> String {
        let mebibyte: UInt64 = 1 << 20
        if bytes % (mebibyte << 10) == 0 { return "\(bytes / (mebibyte << 10)) GiB" }
        if bytes % mebibyte == 0 { return "\(bytes / mebibyte) MiB" }
        return "\(bytes) bytes"
    }
}
