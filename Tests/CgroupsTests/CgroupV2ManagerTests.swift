import Foundation
import Glibc
import Systemd
import Testing
@testable import Cgroups

/// The v2 backend against a temporary directory standing in for a cgroup2 mount: it holds the files the
/// kernel would create, so the exact contents written can be checked. A real cgroup v2 with controllers
/// cannot be exercised on this hybrid machine; the tests below on its controller-less v2 hierarchy cover
/// attach, cgroup.kill and removal for real.
@Suite struct CgroupV2FakeTreeTests {
    let root: String
    let manager: CgroupV2Manager
    var own: String { root + "/own" }

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent(TestSupport.uniqueName()).path
        manager = CgroupV2Manager(root: root, ownCgroup: "/own", logger: TestSupport.logger)
        try makeCgroup("own", files: ["cgroup.controllers": "cpuset cpu io memory hugetlb pids rdma misc\n",
                                      "cgroup.subtree_control": "", "cgroup.procs": ""])
        try makeCgroup("own/supervisor", files: ["cgroup.procs": ""])
        try makeCgroup("own/apps", files: ["cgroup.subtree_control": "", "memory.swap.max": "max\n"])
        try makeCgroup("own/builds", files: ["cgroup.subtree_control": ""])
    }

    /// A directory with the interface files the kernel would have made.
    func makeCgroup(_ relativePath: String, files: [String: String]) throws {
        let path = root + "/" + relativePath
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        for (file, content) in files { try TestSupport.write(content, to: path + "/" + file) }
    }

    func removeTree() { try? FileManager.default.removeItem(atPath: root) }

    static let leafFiles = ["memory.max": "", "memory.swap.max": "", "cpu.max": "", "pids.max": "", "cgroup.procs": ""]

    @Test func prepareMovesUsIntoSupervisorAndEnablesControllers() throws {
        defer { removeTree() }
        try manager.prepare()
        #expect(try TestSupport.read(own + "/supervisor/cgroup.procs") == "\(getpid())")
        #expect(try TestSupport.read(own + "/cgroup.subtree_control") == "+cpu +memory +pids +io")
        #expect(try TestSupport.read(own + "/apps/cgroup.subtree_control") == "+cpu +memory +pids +io")
        #expect(try TestSupport.read(own + "/builds/cgroup.subtree_control") == "+cpu +memory +pids +io")
    }

    @Test func prepareEnablesIOOnlyWhenOffered() throws {
        defer { removeTree() }
        try TestSupport.write("cpu memory pids\n", to: own + "/cgroup.controllers")
        try manager.prepare()
        #expect(try TestSupport.read(own + "/cgroup.subtree_control") == "+cpu +memory +pids")
    }

    @Test func prepareFailsWithoutDelegatedMemoryController() throws {
        defer { removeTree() }
        try TestSupport.write("cpu io pids\n", to: own + "/cgroup.controllers")
        do {
            try manager.prepare()
            Issue.record("prepare succeeded without the memory controller")
        } catch {
            guard case .controllerMissing("memory", _) = error else { throw error }
            #expect(error.description.contains("Delegate=yes"))
        }
        #expect(try TestSupport.read(own + "/cgroup.subtree_control") == "")
    }

    @Test func createWritesEachLimitFile() throws {
        defer { removeTree() }
        try makeCgroup("own/apps/app-web-1", files: Self.leafFiles)
        let leaf = own + "/apps/app-web-1"
        let cgroup = try manager.create(.app("web-1"), limits: ResourceLimits(memoryBytes: 64 << 20, cpuQuota: 0.5, pids: 10))
        #expect(try TestSupport.read(leaf + "/memory.max") == "67108864")
        #expect(try TestSupport.read(leaf + "/memory.swap.max") == "0")
        #expect(try TestSupport.read(leaf + "/cpu.max") == "50000 100000")
        #expect(try TestSupport.read(leaf + "/pids.max") == "10")

        // The fd for CLONE_INTO_CGROUP is the leaf directory.
        let fd = try #require(cgroup.directoryFD)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fd)") == leaf)
        #expect(cgroup.readOnlyViewMounts() == [CgroupViewMount(hostPath: leaf, sandboxPath: "/sys/fs/cgroup")])
    }

    @Test func createWithoutLimitsResetsToMax() throws {
        defer { removeTree() }
        try makeCgroup("own/builds/build-42", files: Self.leafFiles)
        _ = try manager.create(.build("42"), limits: .none)
        let leaf = own + "/builds/build-42"
        #expect(try TestSupport.read(leaf + "/memory.max") == "max")
        #expect(try TestSupport.read(leaf + "/memory.swap.max") == "0")
        #expect(try TestSupport.read(leaf + "/cpu.max") == "max 100000")
        #expect(try TestSupport.read(leaf + "/pids.max") == "max")
    }

    @Test func errorNamesTheFileAndValue() throws {
        defer { removeTree() }
        var files = Self.leafFiles
        files["pids.max"] = nil  // as if the pids controller were not enabled
        try makeCgroup("own/apps/app-x", files: files)
        do {
            _ = try manager.create(.app("x"), limits: ResourceLimits(pids: 10))
            Issue.record("create succeeded without pids.max")
        } catch {
            guard case .writeFailed(let path, let value, let cause) = error else { throw error }
            #expect(path == own + "/apps/app-x/pids.max")
            #expect(value == "10")
            #expect(cause.errno == ENOENT)
            #expect(error.description.contains("prepare()"))
        }
        // It existed before: a failed create leaves it alone.
        #expect(TestSupport.exists(own + "/apps/app-x"))
    }

    @Test func failedCreateRemovesTheNewLeaf() throws {
        defer { removeTree() }
        // mkdir on a plain directory makes no interface files, so the first required write fails.
        #expect(throws: CgroupError.self) { try manager.create(.app("new"), limits: ResourceLimits(memoryBytes: 1 << 20)) }
        #expect(!TestSupport.exists(own + "/apps/app-new"))
    }

    @Test func createRefusesALeafThatStillHasProcesses() throws {
        defer { removeTree() }
        var files = Self.leafFiles
        files["cgroup.procs"] = "4242\n"
        try makeCgroup("own/apps/app-busy", files: files)
        do {
            _ = try manager.create(.app("busy"), limits: .none)
            Issue.record("a busy leaf was reused")
        } catch {
            guard case .inUse(_, let pids) = error else { throw error }
            #expect(pids == [4242])
        }
    }

    @Test func createRejectsAnUnvalidatedName() throws {
        defer { removeTree() }
        #expect(throws: CgroupError.self) { try manager.create(.app("../../escape"), limits: .none) }
        #expect(throws: CgroupError.self) { try manager.adopt(.build("")) }
        #expect(!TestSupport.exists(own + "/escape"))
    }

    @Test func existingListsOnlyOurLeaves() throws {
        defer { removeTree() }
        try makeCgroup("own/apps/app-a", files: [:])
        try makeCgroup("own/apps/not-ours", files: [:])
        try makeCgroup("own/builds/build-b", files: [:])
        #expect(try manager.existing() == [.app("a"), .build("b")])
        #expect(try manager.adopt(.app("a"))?.name == .app("a"))
        #expect(try manager.adopt(.app("zzz")) == nil)
    }

    @Test func eventsAndUsageAreParsedFromTheLeaf() throws {
        defer { removeTree() }
        try makeCgroup("own/apps/app-e", files: [
            "memory.events": "low 0\nhigh 0\nmax 7\noom 2\noom_kill 2\noom_group_kill 0\n",
            "pids.events": "max 3\n",
            "memory.current": "123456\n",
            "cpu.stat": "usage_usec 1500000\nuser_usec 1000000\nsystem_usec 500000\n",
        ])
        let cgroup = try #require(try manager.adopt(.app("e")))
        #expect(cgroup.events() == CgroupEvents(oomKills: 2, memoryMaxHits: 7, pidsMaxHits: 3))
        #expect(cgroup.events().wasOOMKilled)
        #expect(cgroup.memoryCurrent() == 123_456)
        #expect(cgroup.cpuUsage() == .milliseconds(1500))
    }
}

/// The v2 backend on this hybrid machine's real, controller-less v2 hierarchy: no limits can be set there,
/// but moving a process in, `cgroup.kill` and removal are the kernel's own.
@Suite(.enabled(if: TestSupport.hasHybridUnifiedHierarchy))
struct CgroupV2RealHierarchyTests {
    @Test func attachKillAndRemove() async throws {
        let own = "/" + TestSupport.uniqueName()
        let ownPath = TestSupport.hybridUnifiedRoot + own
        let manager = CgroupV2Manager(root: TestSupport.hybridUnifiedRoot, ownCgroup: own, logger: TestSupport.logger)
        // prepare() needs the controllers this hierarchy lacks; make the layout it would make.
        try FileManager.default.createDirectory(atPath: ownPath + "/apps", withIntermediateDirectories: true)
        do {
            try await attachKillAndRemove(manager, ownPath: ownPath)
        } catch {
            await Self.removeTree(manager, ownPath: ownPath)
            throw error
        }
        await Self.removeTree(manager, ownPath: ownPath)
        #expect(!TestSupport.exists(ownPath))
    }

    private func attachKillAndRemove(_ manager: CgroupV2Manager, ownPath: String) async throws {
        // A limit needs its controller: the error names the file, and the new leaf is removed again.
        do {
            _ = try manager.create(.app("real"), limits: ResourceLimits(memoryBytes: 1 << 26))
            Issue.record("a memory limit was accepted without the memory controller")
        } catch {
            guard case .writeFailed(let path, "67108864", _) = error else { throw error }
            #expect(path == ownPath + "/apps/app-real/memory.max")
        }
        #expect(!TestSupport.exists(ownPath + "/apps/app-real"))

        let cgroup = try manager.create(.app("real"), limits: .none)
        #expect(cgroup.directoryFD != nil)
        #expect(try manager.existing() == [.app("real")])
        let sleeper = try ChildProcess.spawn(executable: "/bin/sleep", arguments: ["30"], environment: [:], passingFDs: [])
        try cgroup.attach(pid: sleeper.pid)
        #expect(cgroup.processes() == [sleeper.pid])
        #expect(try TestSupport.read("/proc/\(sleeper.pid)/cgroup").contains("0::\(manager.ownCgroup)/apps/app-real\n"))
        #expect(TestSupport.exists(ownPath + "/apps/app-real/cgroup.kill"))

        try await manager.remove(cgroup)
        #expect(await sleeper.waitForExit() == .signaled(signal: SIGKILL))
        #expect(!TestSupport.exists(ownPath + "/apps/app-real"))
        #expect(try manager.existing().isEmpty)
    }

    /// Removes what a failed test left: leaves (killing their processes), then our directories.
    private static func removeTree(_ manager: CgroupV2Manager, ownPath: String) async {
        for name in (try? manager.existing()) ?? [] {
            if let cgroup = try? manager.adopt(name) { try? await manager.remove(cgroup) }
        }
        rmdir(ownPath + "/apps")
        rmdir(ownPath)
    }
}
