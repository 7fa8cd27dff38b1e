import Foundation
import Glibc
import Testing
@testable import Cgroups

/// Spare v1 leaves made ahead of time and renamed into place, on this hybrid machine's real controllers.
@Suite(.enabled(if: TestSupport.isLegacyHost))
struct CgroupV1SpareTests {
    static let limits = ResourceLimits(memoryBytes: 64 << 20, cpuQuota: 0.5, pids: 10)

    @Test func aClaimedSpareIsTheLeafWithItsLimitsAndTheSpareIsGone() async throws {
        try await TestSupport.withLegacyManager { manager in
            let spare = try manager.makeSpare(tag: "t-1", isBuild: false, limits: Self.limits)
            #expect(try manager.existing().isEmpty, "a spare is no instance")
            let name = CgroupName.app("web-1")
            let cgroup = try manager.claim(spare, as: name)
            #expect(cgroup.name == name)
            #expect(try TestSupport.read(TestSupport.leafPath(manager, name, .memory) + "/memory.limit_in_bytes") == "67108864\n")
            #expect(try TestSupport.read(TestSupport.leafPath(manager, name, .cpu) + "/cpu.cfs_quota_us") == "50000\n")
            #expect(try TestSupport.read(TestSupport.leafPath(manager, name, .pids) + "/pids.max") == "10\n")
            for path in spare.paths.values { #expect(!TestSupport.exists(path)) }
            #expect(try manager.existing() == [name])
            try await manager.remove(cgroup)
            #expect(try manager.existing().isEmpty)
        }
    }

    @Test func claimingAnExistingNameFailsAndLeavesTheSpareWhole() async throws {
        try await TestSupport.withLegacyManager { manager in
            let name = CgroupName.app("taken")
            let existing = try manager.create(name, limits: .none)
            let spare = try manager.makeSpare(tag: "t-2", isBuild: false, limits: Self.limits)
            #expect(throws: CgroupError.self) { try manager.claim(spare, as: name) }
            for path in spare.paths.values { #expect(TestSupport.exists(path), "\(path)") }
            #expect(throws: CgroupError.self) { try manager.claim(spare, as: .build("x")) }
            manager.discard(spare)
            for path in spare.paths.values { #expect(!TestSupport.exists(path)) }
            try await manager.remove(existing)
        }
    }

    @Test func leftoverSparesAreRemoved() async throws {
        try await TestSupport.withLegacyManager { manager in
            let kept = try manager.makeSpare(tag: "keep", isBuild: true, limits: .none)
            let left = try manager.makeSpare(tag: "left", isBuild: true, limits: .none)
            manager.removeLeftoverSpares(keeping: ["keep"])
            for path in left.paths.values { #expect(!TestSupport.exists(path)) }
            for path in kept.paths.values { #expect(TestSupport.exists(path)) }
            manager.discard(kept)
        }
    }

    /// Hosts often co-mount cpu and cpuacct (`cpu,cpuacct`, with `cpu` and `cpuacct` symlinks to it): the second
    /// controller finds the first one's directory, and renaming it once renames both.
    @Test func coMountedControllersShareOneDirectory() async throws {
        let root = "/tmp/paastech-comount-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        for (link, target) in [("memory", "memory"), ("cpu", "cpu"), ("cpuacct", "cpu"), ("pids", "pids")] {
            try FileManager.default.createSymbolicLink(atPath: "\(root)/\(link)", withDestinationPath: "/sys/fs/cgroup/\(target)")
        }
        let own = try ProcessCgroups.current().legacy
        let manager = try CgroupV1Manager(root: root, ownCgroups: [.memory: own["memory"] ?? "/", .cpu: own["cpu"] ?? "/",
                                                                   .cpuacct: own["cpu"] ?? "/", .pids: own["pids"] ?? "/"],
                                          subtree: TestSupport.uniqueName(), logger: TestSupport.logger)
        try manager.prepare()
        defer {
            for base in manager.baseDirectories {
                for parent in CgroupName.parentDirectories { rmdir(joinPath(base, parent)) }
                rmdir(base)
            }
        }
        let spare = try manager.makeSpare(tag: "co-1", isBuild: false, limits: Self.limits)
        #expect(spare.aliases == [.cpuacct])
        let cgroup = try manager.claim(spare, as: .app("co"))
        let cpuacct = try TestSupport.leafPath(manager, .app("co"), .cpuacct)
        let cpu = try TestSupport.leafPath(manager, .app("co"), .cpu)
        #expect(TestSupport.exists(cpuacct) && CgroupV1Manager.isSameDirectory(cpuacct, cpu))
        #expect(try TestSupport.read(cpuacct + "/cpu.cfs_quota_us") == "50000\n")
        try await manager.remove(cgroup)
        #expect(try manager.existing().isEmpty)
    }
}
