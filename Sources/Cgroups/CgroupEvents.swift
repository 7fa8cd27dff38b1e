/// Counters a cgroup keeps about its limits, read after an instance exits to tell why it ended,
/// e.g. "OOM-killed (memory 64 MiB)".
public struct CgroupEvents: Sendable, Equatable, CustomStringConvertible {
    /// Processes the kernel OOM killer killed in this cgroup (v2 `memory.events` `oom_kill`,
    /// v1 `memory.oom_control` `oom_kill`).
    public var oomKills: Int
    /// Times memory use reached the limit (v2 `memory.events` `max`, v1 `memory.failcnt` plus
    /// `memory.memsw.failcnt`). Reclaim may have made room without a kill. On v1 with swap accounting,
    /// recent kernels count nothing there; then it is 1 when peak usage reached the limit, else 0.
    public var memoryMaxHits: Int
    /// Forks refused because of the process limit (`pids.events` `max`, v1 only on kernels that have it).
    public var pidsMaxHits: Int

    /// - Parameters:
    ///   - oomKills: OOM kills.
    ///   - memoryMaxHits: Memory limit hits.
    ///   - pidsMaxHits: Refused forks.
    public init(oomKills: Int = 0, memoryMaxHits: Int = 0, pidsMaxHits: Int = 0) {
        self.oomKills = oomKills
        self.memoryMaxHits = memoryMaxHits
        self.pidsMaxHits = pidsMaxHits
    }

    /// True when the OOM killer killed a process of the cgroup.
    public var wasOOMKilled: Bool { oomKills > 0 }

    public var description: String {
        "oom kills \(oomKills), memory limit hits \(memoryMaxHits), refused forks \(pidsMaxHits)"
    }
}

extension Int {
    /// A kernel counter as an `Int`, saturating rather than trapping.
    init(counter: UInt64?) {
        self = Int(clamping: counter ?? 0)
    }
}
