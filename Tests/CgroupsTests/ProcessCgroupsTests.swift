import Testing
@testable import Cgroups

@Suite struct ProcessCgroupsTests {
    @Test func parsesHybridLayout() throws {
        let content = """
            9:name=systemd:/
            8:pids:/
            4:memory:/process_api/0c92
            2:cpu,cpuacct:/user.slice
            0::/
            """
        let parsed = try ProcessCgroups.parse(content, path: "test")
        #expect(parsed.unified == "/")
        #expect(parsed.legacy == ["pids": "/", "memory": "/process_api/0c92", "cpu": "/user.slice", "cpuacct": "/user.slice"])
    }

    @Test func parsesUnifiedLayoutWithColonInPath() throws {
        let parsed = try ProcessCgroups.parse("0::/system.slice/pomegranate.service/odd:name\n", path: "test")
        #expect(parsed.unified == "/system.slice/pomegranate.service/odd:name")
        #expect(parsed.legacy.isEmpty)
    }

    @Test func rejectsGarbage() {
        #expect(throws: CgroupError.self) { try ProcessCgroups.parse("nonsense\n", path: "test") }
    }

    @Test func readsThisProcess() throws {
        let own = try ProcessCgroups.current()
        #expect(own.unified != nil || !own.legacy.isEmpty)
    }

    @Test func supervisorLeafMapsBackToTheDelegatedCgroup() {
        #expect(CgroupV2Manager.delegatedCgroup(containing: "/system.slice/pomegranate.service/supervisor")
            == "/system.slice/pomegranate.service")
        #expect(CgroupV2Manager.delegatedCgroup(containing: "/supervisor") == "/")
        #expect(CgroupV2Manager.delegatedCgroup(containing: "/system.slice/pomegranate.service")
            == "/system.slice/pomegranate.service")
    }

    @Test func joinsPathsWithoutDoubleSlashes() {
        #expect(joinPath("/sys/fs/cgroup", "memory", "/", "paastech") == "/sys/fs/cgroup/memory/paastech")
        #expect(joinPath("/sys/fs/cgroup", "/a/b/", "apps/app-x") == "/sys/fs/cgroup/a/b/apps/app-x")
    }
}
