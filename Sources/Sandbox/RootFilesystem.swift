import Foundation
import Glibc

/// Plans a sandbox's root: a fresh tmpfs with read-only binds of the host's `/usr` (merged-usr
/// symlinks beside it), generated `/etc` files, `/app`, optional `/data`, a size-limited `/tmp`,
/// a minimal `/dev`, a fresh `/proc` with sensitive paths masked, and a read-only view of the
/// sandbox's own cgroup at `/sys/fs/cgroup`. Pure planning: tested without root.
public struct RootFilesystem: Sendable {
    public struct Options: Sendable {
        public var hostname: String
        public var uid: uid_t
        public var gid: gid_t
        public var appDirectory: String?
        public var appWritable = false
        public var dataDirectory: String?
        public var extraReadOnlyPaths: [String] = []
        public var tmpSizeMB = 64
        public var cgroupView: CgroupView = .none
        /// Host path of paastech-init, bound at `/init`.
        public var initExecutable: String
        public var resolvConf: String

        public init(hostname: String, uid: uid_t, gid: gid_t, initExecutable: String, resolvConf: String) {
            self.hostname = hostname
            self.uid = uid
            self.gid = gid
            self.initExecutable = initExecutable
            self.resolvConf = resolvConf
        }
    }

    /// What the sandbox sees at /sys/fs/cgroup, through its cgroup namespace.
    public enum CgroupView: Sendable, Equatable {
        case none
        case unified
        /// cgroup v1 controllers, each mounted at /sys/fs/cgroup/<controller>.
        case legacy(controllers: [String])
    }

    /// Host files the sandbox may read: TLS roots, and what dynamic linking and `/usr/bin` symlinks need.
    static let hostReadOnlyFiles = ["/etc/ssl/certs", "/etc/ca-certificates", "/etc/alternatives", "/etc/ld.so.cache",
                                    "/etc/localtime", "/etc/mime.types"]
    /// Read by nobody legitimately inside a sandbox; hidden as container runtimes do.
    static let maskedProcFiles = ["/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug", "/proc/latency_stats",
                                  "/proc/kallsyms", "/proc/kmsg"]
    static let maskedProcDirectories = ["/proc/acpi", "/proc/scsi", "/proc/firmware"]
    static let readOnlyProcPaths = ["/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus", "/proc/fs"]
    /// The devices of `/dev`, made with mknod (the numbers are fixed by the kernel's ABI), all 0666.
    static let devices: [(name: String, major: UInt32, minor: UInt32)] = [
        ("null", 1, 3), ("zero", 1, 5), ("full", 1, 7), ("random", 1, 8), ("urandom", 1, 9), ("tty", 5, 0),
    ]

    let options: Options
    let fileExists: @Sendable (String) -> Bool
    let isDirectory: @Sendable (String) -> Bool

    /// - Parameters:
    ///   - fileExists: Whether a host path exists (injected for tests, and cached by ``SandboxRunner``).
    ///   - isDirectory: Whether a host path is a directory.
    public init(options: Options, fileExists: @escaping @Sendable (String) -> Bool = { FileManager.default.fileExists(atPath: $0) },
                isDirectory: @escaping @Sendable (String) -> Bool = RootFilesystem.hostIsDirectory) {
        self.options = options
        self.fileExists = fileExists
        self.isDirectory = isDirectory
    }

    /// Every host path the plan looks at besides the options' own: what a runner may check once.
    public static var hostPathsChecked: [String] {
        ["bin", "lib", "lib64", "sbin", "lib32", "libx32"].map { "/" + $0 } + hostReadOnlyFiles + maskedProcFiles
            + maskedProcDirectories + readOnlyProcPaths
    }

    /// Whether `path` is a directory on the host (following symlinks).
    public static func hostIsDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// The whole root, built by each sandbox on its own (see ``templateOperations()`` for the faster way).
    public func operations() -> [MountOperation] {
        Self.directoriesOnce(usr() + etc() + app() + tmp() + dev() + proc() + sys() + initBinary())
    }

    func usr() -> [MountOperation] {
        var operations: [MountOperation] = [.makeDirectory("/usr")] + MountOperation.bind("/usr", at: "/usr", readOnly: true)
        for link in ["bin", "lib", "lib64", "sbin", "lib32", "libx32"] where fileExists("/\(link)") {
            operations.append(.symlink(to: "usr/\(link)", at: "/\(link)"))
        }
        for path in options.extraReadOnlyPaths {
            operations += parents(of: path) + [.makeDirectory(path)] + MountOperation.bind(path, at: path, readOnly: true)
        }
        return operations
    }

    /// The /etc files that name this sandbox's identity: passwd, group, hostname, hosts.
    var identityFiles: [(name: String, contents: String)] {
        let uid = options.uid, gid = options.gid
        return [
            ("passwd", """
                root:x:0:0:root:/root:/usr/sbin/nologin
                app:x:\(uid):\(gid):app:/app:/bin/sh
                nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin

                """),
            ("group", "root:x:0:\napp:x:\(gid):\nnogroup:x:65534:\n"),
            ("hostname", options.hostname + "\n"),
            ("hosts", "127.0.0.1\tlocalhost \(options.hostname)\n::1\tlocalhost ip6-localhost\n"),
        ]
    }

    /// The /etc files that are the same in every sandbox of a runner.
    var sharedEtcFiles: [(name: String, contents: String)] {
        [("resolv.conf", options.resolvConf), ("nsswitch.conf", "passwd: files\ngroup: files\nhosts: files dns\n")]
    }

    /// The host's files the sandbox may read, bound read-only at the same paths.
    func hostEtcBinds() -> [MountOperation] {
        var operations: [MountOperation] = []
        for path in Self.hostReadOnlyFiles where fileExists(path) {
            operations += parents(of: path) + [isDirectory(path) ? .makeDirectory(path) : .touch(path)]
                + MountOperation.bind(path, at: path, readOnly: true)
        }
        return operations
    }

    private func etc() -> [MountOperation] {
        [.makeDirectory("/etc")] + (identityFiles + sharedEtcFiles).map { .writeFile("/etc/\($0.name)", contents: $0.contents) }
            + hostEtcBinds()
    }

    func app() -> [MountOperation] {
        var operations: [MountOperation] = [.makeDirectory("/app")]
        if let directory = options.appDirectory {
            operations += MountOperation.bind(directory, at: "/app", readOnly: !options.appWritable)
        }
        if let data = options.dataDirectory {
            operations += [.makeDirectory("/data")] + MountOperation.bind(data, at: "/data", readOnly: false)
        }
        return operations
    }

    func tmp() -> [MountOperation] {
        [.makeDirectory("/tmp", mode: 0o1777), .tmpfs(at: "/tmp", options: "mode=1777,size=\(options.tmpSizeMB)m")]
    }

    func dev() -> [MountOperation] {
        var operations: [MountOperation] = [
            .makeDirectory("/dev"),
            .tmpfs(at: "/dev", options: "mode=0755,size=64k", flags: UInt(MS_NOSUID | MS_NOEXEC)),
        ]
        for device in Self.devices {
            operations.append(.characterDevice("/dev/\(device.name)", major: device.major, minor: device.minor))
        }
        operations += [
            .makeDirectory("/dev/pts"),
            .mount(source: "devpts", target: "/dev/pts", type: "devpts", flags: UInt(MS_NOSUID | MS_NOEXEC),
                   data: "newinstance,ptmxmode=0666,mode=0620"),
            .symlink(to: "pts/ptmx", at: "/dev/ptmx"),
            .makeDirectory("/dev/shm", mode: 0o1777),
            .tmpfs(at: "/dev/shm", options: "mode=1777,size=\(options.tmpSizeMB)m", flags: UInt(MS_NOSUID | MS_NODEV | MS_NOEXEC)),
            .symlink(to: "/proc/self/fd", at: "/dev/fd"),
            .symlink(to: "/proc/self/fd/0", at: "/dev/stdin"),
            .symlink(to: "/proc/self/fd/1", at: "/dev/stdout"),
            .symlink(to: "/proc/self/fd/2", at: "/dev/stderr"),
        ]
        return operations
    }

    /// A fresh /proc (of the sandbox's pid namespace) with the kernel-wide sensitive files masked.
    func proc() -> [MountOperation] {
        var operations: [MountOperation] = [
            .makeDirectory("/proc"),
            .mount(source: "proc", target: "/proc", type: "proc", flags: UInt(MS_NOSUID | MS_NODEV | MS_NOEXEC), data: nil),
        ]
        for file in Self.maskedProcFiles where fileExists(file) {
            operations.append(.mount(source: "/dev/null", target: file, type: nil, flags: UInt(MS_BIND), data: nil))
        }
        for directory in Self.maskedProcDirectories where fileExists(directory) {
            operations.append(.tmpfs(at: directory, options: "size=0", flags: UInt(MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)))
        }
        for path in Self.readOnlyProcPaths where fileExists(path) {
            operations += MountOperation.bind(path, at: path, readOnly: true, recursive: false).map(\.inSandbox)
        }
        return operations
    }

    /// Only the sandbox's own cgroup, read-only: the cgroup namespace makes it the root.
    func sys() -> [MountOperation] {
        let flags = UInt(MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)
        switch options.cgroupView {
        case .none:
            return []
        case .unified:
            return [.makeDirectory("/sys"), .makeDirectory("/sys/fs"), .makeDirectory("/sys/fs/cgroup"),
                    .mount(source: "cgroup2", target: "/sys/fs/cgroup", type: "cgroup2", flags: flags, data: nil)]
        case .legacy(let controllers):
            var operations: [MountOperation] = [
                .makeDirectory("/sys"), .makeDirectory("/sys/fs"), .makeDirectory("/sys/fs/cgroup"),
                .tmpfs(at: "/sys/fs/cgroup", options: "mode=0755,size=16k", flags: UInt(MS_NOSUID | MS_NODEV | MS_NOEXEC)),
            ]
            for controller in controllers {
                operations += [
                    .makeDirectory("/sys/fs/cgroup/\(controller)"),
                    .mount(source: "cgroup", target: "/sys/fs/cgroup/\(controller)", type: "cgroup", flags: flags, data: controller),
                ]
            }
            operations.append(.mount(source: nil, target: "/sys/fs/cgroup", type: nil,
                                     flags: UInt(MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC), data: "size=16k"))
            return operations
        }
    }

    func initBinary() -> [MountOperation] {
        [.touch("/init")] + MountOperation.bind(options.initExecutable, at: "/init", readOnly: true, recursive: false)
    }

    /// `mkdir` for every missing parent of `path` below the root (tmpfs starts empty).
    func parents(of path: String) -> [MountOperation] {
        var result: [MountOperation] = []
        var current = ""
        for component in path.split(separator: "/").dropLast() {
            current += "/" + component
            result.append(.makeDirectory(current))
        }
        return result
    }
}

extension MountOperation {
    /// A bind whose source is itself inside the sandbox (the fresh /proc): marked by a leading "@".
    var inSandbox: MountOperation {
        if case .mount(let source?, let target, let type, let flags, let data) = self, source.hasPrefix("/") {
            return .mount(source: "@" + source, target: target, type: type, flags: flags, data: data)
        }
        return self
    }
}
