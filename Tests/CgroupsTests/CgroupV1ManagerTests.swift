import Foundation
import Glibc
import Systemd
import Testing
@testable import Cgroups

/// The v1 backend for real, on this hybrid machine's controllers, each test in a unique subtree below our
/// own cgroups that is removed afterwards.
@Suite(.enabled(if: TestSupport.isLegacyHost))
struct CgroupV1ManagerTests {
    @Test func prepareCreatesTheSubtreeBelowOurOwnCgroups() async throws {
        try await TestSupport.withLegacyManager { manager in
            let own = try ProcessCgroups.current().legacy
            for controller in [LegacyController.memory, .cpu, .pids] {
                let base = try #require(manager.bases[controller])
                #expect(base == joinPath("/sys/fs/cgroup", controller.rawValue, own[controller.rawValue] ?? "/", manager.subtree))
                #expect(TestSupport.exists(base + "/apps"))
                #expect(TestSupport.exists(base + "/builds"))
            }
            try manager.prepare()  // again, as after a restart
        }
    }

    @Test func createWritesLimitsAndRemoveKillsAndDeletes() async throws {
        try await TestSupport.withLegacyManager { manager in
            let name = CgroupName.app("web-1")
            let cgroup = try manager.create(name, limits: ResourceLimits(memoryBytes: 64 << 20, cpuQuota: 0.5, pids: 10))
            #expect(cgroup.directoryFD == nil)

            let memory = try TestSupport.leafPath(manager, name, .memory)
            let cpu = try TestSupport.leafPath(manager, name, .cpu)
            let pids = try TestSupport.leafPath(manager, name, .pids)
            #expect(try TestSupport.read(memory + "/memory.limit_in_bytes") == "67108864\n")
            if TestSupport.exists(memory + "/memory.memsw.limit_in_bytes") {
                #expect(try TestSupport.read(memory + "/memory.memsw.limit_in_bytes") == "67108864\n")
            }
            #expect(try TestSupport.read(memory + "/memory.swappiness") == "0\n")
            #expect(try TestSupport.read(cpu + "/cpu.cfs_period_us") == "100000\n")
            #expect(try TestSupport.read(cpu + "/cpu.cfs_quota_us") == "50000\n")
            #expect(try TestSupport.read(pids + "/pids.max") == "10\n")

            let sleeper = try ChildProcess.spawn(executable: "/bin/sleep", arguments: ["5"], environment: [:], passingFDs: [])
            try cgroup.attach(pid: sleeper.pid)
            #expect(cgroup.processes() == [sleeper.pid])
            for leaf in [memory, cpu, pids] {
                #expect(try TestSupport.read(leaf + "/cgroup.procs") == "\(sleeper.pid)\n")
            }
            let membership = try ProcessCgroups.parse(TestSupport.read("/proc/\(sleeper.pid)/cgroup"), path: "proc")
            #expect(membership.legacy["memory"]?.hasSuffix("/\(manager.subtree)/apps/app-web-1") == true)
            #expect(membership.legacy["pids"] == "/\(manager.subtree)/apps/app-web-1")

            #expect(cgroup.readOnlyViewMounts().contains(CgroupViewMount(hostPath: memory, sandboxPath: "/sys/fs/cgroup/memory")))
            #expect(cgroup.readOnlyViewMounts().contains(CgroupViewMount(hostPath: pids, sandboxPath: "/sys/fs/cgroup/pids")))

            try await manager.remove(cgroup)
            #expect(await sleeper.waitForExit() == .signaled(signal: SIGKILL))
            for leaf in [memory, cpu, pids] { #expect(!TestSupport.exists(leaf)) }
            #expect(try manager.existing().isEmpty)
        }
    }

    @Test func memoryLimitIsEnforcedByTheOOMKiller() async throws {
        try await TestSupport.withLegacyManager { manager in
            let cgroup = try manager.create(.app("hungry"), limits: ResourceLimits(memoryBytes: 64 << 20))
            // Attached before it allocates: it waits on a pipe until released.
            let process = try HeldProcess("/usr/bin/python3", [
                "-c", "b = bytearray(200*1024*1024); import time; time.sleep(1)",
            ])
            try cgroup.attach(pid: process.pid)
            process.release()
            #expect(await process.child.waitForExit() == .signaled(signal: SIGKILL))

            let events = cgroup.events()
            #expect(events.oomKills >= 1)
            #expect(events.wasOOMKilled)
            #expect(events.memoryMaxHits > 0)
            #expect((cgroup.cpuUsage() ?? .zero) > .zero)
            try await manager.remove(cgroup)
        }
    }

    @Test func processLimitRefusesForks() async throws {
        try await TestSupport.withLegacyManager { manager in
            let cgroup = try manager.create(.build("forky"), limits: ResourceLimits(pids: 10))
            let devNull = try TestSupport.openDevNull()
            defer { close(devNull) }
            let process = try HeldProcess("/bin/sh", ["-c", "for i in $(seq 100); do sleep 2 & done; wait"], output: devNull)
            try cgroup.attach(pid: process.pid)
            process.release()
            _ = await process.child.waitForExit()

            #expect(cgroup.events().pidsMaxHits > 0)
            #expect(cgroup.events().oomKills == 0)
            // The sleeps that did start are still running: remove() kills them.
            try await manager.remove(cgroup)
            #expect(try manager.existing().isEmpty)
        }
    }

    @Test func newManagerFindsLeavesForLiveRestore() async throws {
        try await TestSupport.withLegacyManager { first in
            _ = try first.create(.app("a"), limits: ResourceLimits(pids: 50))
            _ = try first.create(.build("b"), limits: .none)
            let sleeper = try ChildProcess.spawn(executable: "/bin/sleep", arguments: ["30"], environment: [:], passingFDs: [])
            try first.adopt(.app("a"))?.attach(pid: sleeper.pid)

            // As after a pomegranate restart: a fresh manager over the same subtree.
            let restarted = try CgroupV1Manager(subtree: first.subtree, logger: TestSupport.logger)
            try restarted.prepare()
            #expect(try restarted.existing() == [.app("a"), .build("b")])
            #expect(try restarted.adopt(.app("missing")) == nil)
            let adopted = try #require(try restarted.adopt(.app("a")))
            #expect(adopted.processes() == [sleeper.pid])
            #expect(try TestSupport.read(TestSupport.leafPath(restarted, .app("a"), .pids) + "/pids.max") == "50\n")

            // Its leaf is busy: creating it again is refused rather than sharing it.
            #expect(throws: CgroupError.self) { try restarted.create(.app("a"), limits: .none) }
            try await restarted.remove(adopted)
            #expect(await sleeper.waitForExit() == .signaled(signal: SIGKILL))
            #expect(try restarted.existing() == [.build("b")])
        }
    }

    @Test func emptyLeftoverLeafIsReusedWithNewLimits() async throws {
        try await TestSupport.withLegacyManager { manager in
            _ = try manager.create(.app("again"), limits: ResourceLimits(memoryBytes: 32 << 20, cpuQuota: 0.25))
            _ = try manager.create(.app("again"), limits: ResourceLimits(memoryBytes: 128 << 20, cpuQuota: 2))
            let memory = try TestSupport.leafPath(manager, .app("again"), .memory)
            let cpu = try TestSupport.leafPath(manager, .app("again"), .cpu)
            #expect(try TestSupport.read(memory + "/memory.limit_in_bytes") == "134217728\n")
            #expect(try TestSupport.read(cpu + "/cpu.cfs_quota_us") == "200000\n")
        }
    }

    @Test func rejectsBadNamesBeforeTouchingTheFileSystem() async throws {
        try await TestSupport.withLegacyManager { manager in
            for id in ["../x", "", "UPPER", String(repeating: "a", count: 65)] {
                #expect(throws: CgroupError.self) { try manager.create(.app(id), limits: .none) }
            }
            let leaves = try manager.existing()
            #expect(leaves.isEmpty)
        }
        #expect(throws: CgroupError.self) { try CgroupV1Manager(subtree: "../escape", logger: TestSupport.logger) }
    }

    @Test func subtreeIsGoneAfterCleanup() async throws {
        var bases: [String] = []
        try await TestSupport.withLegacyManager { manager in
            bases = manager.baseDirectories
            _ = try manager.create(.app("left-behind"), limits: .none)
        }
        #expect(!bases.isEmpty)
        for base in bases { #expect(!TestSupport.exists(base)) }
    }
}
