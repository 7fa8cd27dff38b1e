import Systemd
import Foundation
import Testing
@testable import Cgroups

@Suite struct CgroupModeTests {
    @Test(.enabled(if: TestSupport.isRoot))
    func detectsThisHost() throws {
        // The development machine is hybrid (v1 controllers on a tmpfs); real hosts are cgroup2.
        let mode = try CgroupMode.detect()
        let rootIsCgroup2 = try SystemCall.fileSystemType(of: "/sys/fs/cgroup") == CgroupMode.cgroup2Magic
        #expect(mode == (rootIsCgroup2 ? .unified : .legacy))
    }

    @Test(.enabled(if: TestSupport.hasHybridUnifiedHierarchy))
    func detectsACgroup2Mount() throws {
        #expect(try CgroupMode.detect(root: TestSupport.hybridUnifiedRoot) == .unified)
    }

    @Test func rejectsAnOrdinaryDirectory() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(TestSupport.uniqueName()).path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(throws: CgroupError.self) { try CgroupMode.detect(root: directory) }
        #expect(throws: CgroupError.self) { try CgroupMode.detect(root: directory + "/missing") }
    }

    @Test(.enabled(if: TestSupport.isLegacyHost))
    func factoryPicksTheV1BackendOnThisHybridHost() throws {
        let manager = try makeCgroupManager(logger: TestSupport.logger)
        #expect(manager.mode == .legacy)
        #expect(manager is CgroupV1Manager)
    }
}
