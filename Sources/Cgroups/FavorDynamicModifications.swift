import Glibc
import Systemd

/// Makes moving a process into a cgroup cheap on cgroup v1 (legacy and hybrid) hosts.
///
/// Writing a pid to `cgroup.procs` takes the kernel's `cgroup_threadgroup_rwsem` for writing, which by
/// default first waits for an RCU grace period. Measured here: 10 to 27 ms (median 15 ms) for the first move
/// after a pause of 20 ms, so every sandbox started after an idle moment (a sleeping app woken by a request,
/// the first instance of a deploy) paid it. The cgroup2 option `favordynmods` (Linux 6.0) keeps that lock in
/// its writer-friendly mode at the price of slightly dearer forks and exits; the move then takes 0.08 ms.
/// The lock is global to the kernel's cgroup core, so the option set on the host's cgroup2 hierarchy (a
/// hybrid host mounts it at `/sys/fs/cgroup/unified`) also covers the v1 controllers.
///
/// cgroup v2 hosts need none of this: sandboxes are born in their cgroup (`CLONE_INTO_CGROUP` only takes
/// the lock for reading).
public enum FavorDynamicModifications {
    /// What ``enable(mountInfo:)`` found or did.
    public enum Outcome: Equatable, Sendable {
        /// The option was set on the cgroup2 mount at this path.
        case enabled(mountPoint: String)
        /// The cgroup2 mount at this path already had it.
        case alreadyEnabled(mountPoint: String)
        /// No cgroup2 hierarchy is mounted (a pure v1 host): nothing to set it on.
        case noCgroup2Mount
    }

    /// The option, as `/proc/self/mountinfo` and `fsconfig(2)` spell it.
    public static let option = "favordynmods"

    /// Sets `favordynmods` on the first cgroup2 mount in `mountInfo`, keeping its other options.
    ///
    /// Through `fspick(2)` and `fsconfig(2)`: they reconfigure the superblock alone, leaving the mount's own
    /// flags (nosuid, nodev, ...) as they are. A cgroup2 reconfiguration replaces every root option at once,
    /// so the ones it has (`nsdelegate`, `memory_recursiveprot`, ...) are passed again.
    public static func enable(mountInfo: String? = nil) throws(CgroupError) -> Outcome {
        let table: String
        if let mountInfo { table = mountInfo } else { table = try readMountInfo() }
        guard let mount = cgroup2Mount(in: table) else { return .noCgroup2Mount }
        if mount.options.contains(option) { return .alreadyEnabled(mountPoint: mount.mountPoint) }
        try reconfigure(mount.mountPoint, flags: mount.options + [option])
        return .enabled(mountPoint: mount.mountPoint)
    }

    /// This process's mount table. Read to end of file: unlike a cgroup file, mountinfo is many records and
    /// a read stops short before one that does not fit.
    public static func readMountInfo() throws(CgroupError) -> String {
        let path = "/proc/self/mountinfo"
        do throws(SystemCallError) {
            return try KernelFile.read(path)
        } catch {
            throw .readFailed(path: path, error)
        }
    }

    /// The mount point and superblock options (without `rw`/`ro`) of the first cgroup2 line of a mountinfo
    /// table: `36 25 0:30 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw,nsdelegate`.
    public static func cgroup2Mount(in mountInfo: String) -> (mountPoint: String, options: [String])? {
        for line in mountInfo.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: false)
            guard fields.count > 5, let separator = fields.firstIndex(of: "-"), separator + 3 < fields.count,
                  fields[separator + 1] == "cgroup2" else { continue }
            let options = fields[separator + 3].split(separator: ",").map(String.init).filter { $0 != "rw" && $0 != "ro" }
            return (unescape(String(fields[4])), options)
        }
        return nil
    }

    /// mountinfo writes space, tab, newline and backslash in paths as `\040`, `\011`, `\012`, `\134`.
    static func unescape(_ path: String) -> String {
        var bytes: [UInt8] = []
        var utf8 = Array(path.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "\\"), utf8.count >= 3,
               let value = UInt8(String(decoding: utf8.prefix(3), as: UTF8.self), radix: 8) {
                bytes.append(value)
                utf8 = utf8.dropFirst(3)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func reconfigure(_ mountPoint: String, flags: [String]) throws(CgroupError) {
        let context = fspick(AT_FDCWD, mountPoint, UInt32(FSPICK_CLOEXEC | FSPICK_NO_AUTOMOUNT))
        guard context >= 0 else {
            throw .systemCall(SystemCallError(operation: "fspick(\(mountPoint))", errno: errno))
        }
        defer { close(context) }
        for flag in flags {
            // Root options are flags; one with a value (none today) is passed as a string.
            let parts = flag.split(separator: "=", maxSplits: 1).map(String.init)
            let result = parts.count == 2
                ? fsconfig(context, UInt32(FSCONFIG_SET_STRING.rawValue), parts[0], parts[1], 0)
                : fsconfig(context, UInt32(FSCONFIG_SET_FLAG.rawValue), flag, nil, 0)
            guard result == 0 else {
                throw .systemCall(SystemCallError(operation: "fsconfig(\(mountPoint), \(flag))", errno: errno))
            }
        }
        guard fsconfig(context, UInt32(FSCONFIG_CMD_RECONFIGURE.rawValue), nil, nil, 0) == 0 else {
            throw .systemCall(SystemCallError(operation: "fsconfig(\(mountPoint), reconfigure with \(flags.joined(separator: ",")))",
                                              errno: errno, hint: "favordynmods needs Linux 6.0 or later"))
        }
    }
}
