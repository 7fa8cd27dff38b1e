import Glibc
import Systemd

/// Which cgroup interface the host offers, as found by `statfs` on the cgroup root.
public enum CgroupMode: Sendable, Equatable, CustomStringConvertible {
    /// cgroup v2 alone: the root is a cgroup2 mount (Debian 12 and every current systemd host).
    case unified
    /// cgroup v1 controllers below a tmpfs, with or without an (empty) v2 hierarchy at `unified/`: legacy and
    /// hybrid hosts. The v1 controllers are used.
    case legacy

    /// `CGROUP2_SUPER_MAGIC` from `<linux/magic.h>`.
    static let cgroup2Magic = 0x6367_7270
    /// `CGROUP_SUPER_MAGIC`: a cgroup v1 hierarchy.
    static let cgroup1Magic = 0x0027_E0EB
    /// `TMPFS_MAGIC`.
    static let tmpfsMagic = 0x0102_1994

    /// The standard cgroup root.
    public static let defaultRoot = "/sys/fs/cgroup"

    /// Finds the mode from the file system types at `root` and `root/memory`.
    /// - Throws: ``CgroupError/unsupportedHierarchy(root:detail:)`` when neither layout is there.
    public static func detect(root: String = defaultRoot) throws(CgroupError) -> CgroupMode {
        let rootType: Int
        do throws(SystemCallError) {
            rootType = try SystemCall.fileSystemType(of: root)
        } catch {
            throw .unsupportedHierarchy(root: root, detail: error.description)
        }
        if rootType == cgroup2Magic { return .unified }
        guard rootType == tmpfsMagic else {
            throw .unsupportedHierarchy(root: root, detail: "file system type 0x\(String(rootType, radix: 16))"
                + " is neither cgroup2 nor tmpfs")
        }
        let memory = joinPath(root, LegacyController.memory.rawValue)
        guard (try? SystemCall.fileSystemType(of: memory)) == cgroup1Magic else {
            throw .unsupportedHierarchy(root: root, detail: "a tmpfs without a cgroup v1 memory controller at \(memory)")
        }
        return .legacy
    }

    public var description: String {
        switch self {
        case .unified: "cgroup v2"
        case .legacy: "cgroup v1"
        }
    }
}
