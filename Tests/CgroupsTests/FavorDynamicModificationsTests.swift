import Glibc
import Testing
@testable import Cgroups

/// `favordynmods` on the host's cgroup2 hierarchy: the mountinfo parsing, and for real on this hybrid machine
/// (where `/sys/fs/cgroup/unified` is the cgroup2 mount).
@Suite(.serialized)
struct FavorDynamicModificationsTests {
    @Test func findsTheFirstCgroup2MountWithItsRootOptions() throws {
        let table = """
            25 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
            30 25 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
            31 30 0:27 / /sys/fs/cgroup/my\\040unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
            32 30 0:28 / /sys/fs/cgroup/memory rw,nosuid shared:11 - cgroup cgroup rw,memory
            40 25 0:40 / /elsewhere rw - cgroup2 cgroup2 rw,favordynmods
            """
        let mount = FavorDynamicModifications.cgroup2Mount(in: table)
        #expect(mount?.mountPoint == "/sys/fs/cgroup/my unified")
        #expect(mount?.options == ["nsdelegate", "memory_recursiveprot"])
        #expect(FavorDynamicModifications.cgroup2Mount(in: "32 30 0:28 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory") == nil)
        #expect(FavorDynamicModifications.cgroup2Mount(in: "garbage\n1 2 3\n") == nil)
        #expect(try FavorDynamicModifications.enable(mountInfo: "25 1 254:0 / / rw - ext4 /dev/vda rw") == .noCgroup2Mount)
        #expect(try FavorDynamicModifications.enable(mountInfo: String(table.split(separator: "\n")[4]))
                == .alreadyEnabled(mountPoint: "/elsewhere"))
    }

    @Test func unescapesMountInfoPaths() {
        #expect(FavorDynamicModifications.unescape("/a\\040b\\011c\\134d") == "/a b\tc\\d")
        #expect(FavorDynamicModifications.unescape("/plain") == "/plain")
        #expect(FavorDynamicModifications.unescape("/trailing\\04") == "/trailing\\04")
    }

    /// The option taken away (the kernel's default), then the v1 manager's prepare() sets it again and keeps
    /// every other root option of the mount.
    @Test(.enabled(if: TestSupport.isLegacyHost && TestSupport.hasHybridUnifiedHierarchy))
    func prepareSetsTheOptionOnTheHostsCgroup2MountKeepingTheOthers() async throws {
        let before = try #require(FavorDynamicModifications.cgroup2Mount(in: FavorDynamicModifications.readMountInfo()))
        let others = before.options.filter { $0 != FavorDynamicModifications.option }
        try FavorDynamicModifications.reconfigure(before.mountPoint, flags: others)
        let cleared = try #require(FavorDynamicModifications.cgroup2Mount(in: FavorDynamicModifications.readMountInfo()))
        #expect(!cleared.options.contains(FavorDynamicModifications.option))

        try await TestSupport.withLegacyManager { _ in }  // prepare()

        let after = try #require(FavorDynamicModifications.cgroup2Mount(in: FavorDynamicModifications.readMountInfo()))
        #expect(after.mountPoint == before.mountPoint)
        #expect(Set(after.options) == Set(others + [FavorDynamicModifications.option]))
        #expect(try FavorDynamicModifications.enable() == .alreadyEnabled(mountPoint: before.mountPoint))
    }
}
