import Glibc

/// The leaf cgroup of one app instance or build, made by a ``CgroupManager``.
///
/// It holds its directories open; ``directoryFD`` stays valid as long as this object lives.
public final class Cgroup: Sendable {
    /// Which instance or build this is.
    public let name: CgroupName
    /// The open leaf directories: one on cgroup v2, one per controller on v1.
    let layout: Layout

    enum Layout: Sendable {
        /// cgroup v2: the one leaf directory.
        case unified(CgroupDirectory)
        /// cgroup v1: the leaf in each controller's hierarchy.
        case legacy([LegacyController: CgroupDirectory])
    }

    init(name: CgroupName, layout: Layout) {
        self.name = name
        self.layout = layout
    }

    /// cgroup v2 only: an `O_PATH | O_DIRECTORY | O_CLOEXEC` fd of the leaf, for `clone3`'s
    /// `CLONE_INTO_CGROUP`, so the child is born inside it. Nil on cgroup v1, where the parent calls
    /// ``attach(pid:)`` before the child execs. Owned by this object: do not close it.
    public var directoryFD: Int32? {
        switch layout {
        case .unified(let leaf): leaf.fd
        case .legacy: nil
        }
    }

    /// The open directories, controllers in a fixed order on v1.
    var directories: [CgroupDirectory] {
        switch layout {
        case .unified(let leaf): [leaf]
        case .legacy(let byController): LegacyController.allCases.compactMap { byController[$0] }
        }
    }

    /// The leaf directory of `controller` on v1 (on v2, the leaf itself).
    func directory(for controller: LegacyController) -> CgroupDirectory? {
        switch layout {
        case .unified(let leaf): leaf
        case .legacy(let byController): byController[controller]
        }
    }

    /// Moves process `pid` into this cgroup: writes it to `cgroup.procs` of every controller's leaf.
    /// Used on cgroup v1 (before the child execs) and as a fallback where `CLONE_INTO_CGROUP` is missing.
    public func attach(pid: pid_t) throws(CgroupError) {
        for directory in directories {
            try directory.attach(pid: pid)
        }
    }

    /// The processes in the cgroup (on v1, in any of its controllers), sorted. Empty if it cannot be read.
    public func processes() -> [pid_t] {
        let all = directories.flatMap { (try? $0.processes()) ?? [] }
        return Array(Set(all)).sorted()
    }

    /// The cgroup's limit counters; zero for a counter the kernel does not offer.
    /// - Parameter memoryLimit: The memory limit written at creation, when the caller knows it (saves a read
    ///   on cgroup v1).
    public func events(memoryLimit: UInt64? = nil) -> CgroupEvents {
        switch layout {
        case .unified(let leaf):
            let memory = (try? leaf.readKeyedValues("memory.events")) ?? [:]
            let pids = (try? leaf.readKeyedValues("pids.events")) ?? [:]
            return CgroupEvents(
                oomKills: Int(counter: memory["oom_kill"]),
                memoryMaxHits: Int(counter: memory["max"]),
                pidsMaxHits: Int(counter: pids["max"])
            )
        case .legacy(let byController):
            let memory = byController[.memory]
            let oomControl = (try? memory?.readKeyedValues("memory.oom_control")) ?? [:]
            let number = { (file: String) -> UInt64? in (try? memory?.readNumber(file)) ?? nil }
            var failures = (number("memory.failcnt") ?? 0) &+ (number("memory.memsw.failcnt") ?? 0)
            // With memory+swap limited to the memory limit, the memsw counter is charged first and fails
            // first, and kernel 6.x keeps no failcnt for it (seen on 6.18): a peak at the limit still shows
            // that the limit was hit.
            if failures == 0, let peak = number("memory.max_usage_in_bytes"), let limit = memoryLimit.map(Self.pageRounded) ?? number("memory.limit_in_bytes"),
               peak >= limit {
                failures = 1
            }
            let pids = (try? byController[.pids]?.readKeyedValues("pids.events")) ?? [:]
            return CgroupEvents(
                oomKills: Int(counter: oomControl["oom_kill"]),
                memoryMaxHits: Int(counter: failures),
                pidsMaxHits: Int(counter: pids["max"])
            )
        }
    }

    /// A memory limit as the kernel keeps it: whole pages.
    static func pageRounded(_ bytes: UInt64) -> UInt64 {
        let page = UInt64(getpagesize())
        return bytes - bytes % page
    }

    /// Memory in use now, in bytes (v2 `memory.current`, v1 `memory.usage_in_bytes`); nil when unavailable.
    public func memoryCurrent() -> UInt64? {
        switch layout {
        case .unified(let leaf): (try? leaf.readNumber("memory.current")) ?? nil
        case .legacy(let byController): (try? byController[.memory]?.readNumber("memory.usage_in_bytes")) ?? nil
        }
    }

    /// CPU time used so far by all processes of the cgroup (v2 `cpu.stat` `usage_usec`, v1 `cpuacct.usage`);
    /// nil when unavailable (v1 without the cpuacct controller).
    public func cpuUsage() -> Duration? {
        switch layout {
        case .unified(let leaf):
            guard let stat = try? leaf.readKeyedValues("cpu.stat"), let micros = stat["usage_usec"] else { return nil }
            return .microseconds(Int64(clamping: micros))
        case .legacy(let byController):
            guard let nanos = (try? byController[.cpuacct]?.readNumber("cpuacct.usage")) ?? nil else { return nil }
            return .nanoseconds(Int64(clamping: nanos))
        }
    }

    /// What a sandbox should bind read-only below its `/sys/fs/cgroup`; see ``CgroupViewMount`` for what
    /// the app then sees on each cgroup version.
    public func readOnlyViewMounts() -> [CgroupViewMount] {
        switch layout {
        case .unified(let leaf):
            return [CgroupViewMount(hostPath: leaf.path, sandboxPath: CgroupMode.defaultRoot)]
        case .legacy(let byController):
            return LegacyController.allCases.compactMap { controller in
                byController[controller].map {
                    CgroupViewMount(hostPath: $0.path, sandboxPath: joinPath(CgroupMode.defaultRoot, controller.rawValue))
                }
            }
        }
    }
}
