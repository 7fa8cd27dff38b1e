import Glibc
import Sandbox
import Testing

@Suite("Root filesystem planning (no kernel involved)")
struct RootFilesystemTests {
    func plan(_ adjust: (inout RootFilesystem.Options) -> Void = { _ in }) -> [MountOperation] {
        var options = RootFilesystem.Options(hostname: "web-1", uid: 60001, gid: 60002, initExecutable: "/opt/init",
                                             resolvConf: "nameserver 192.0.2.53\n")
        adjust(&options)
        // A fake host where everything optional exists.
        return RootFilesystem(options: options, fileExists: { _ in true }).operations()
    }

    @Test("/usr is bound read-only, with the merged-usr symlinks beside it")
    func usr() {
        let operations = plan()
        #expect(operations.contains(.mount(source: "/usr", target: "/usr", type: nil, flags: UInt(MS_BIND | MS_REC), data: nil)))
        #expect(operations.contains(.mount(source: nil, target: "/usr", type: nil,
                                           flags: UInt(MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV), data: nil)))
        for link in ["bin", "lib", "lib64", "sbin"] { #expect(operations.contains(.symlink(to: "usr/\(link)", at: "/\(link)"))) }
    }

    @Test("generated /etc files carry the instance's identity")
    func etc() {
        let files = Dictionary(plan().compactMap { operation -> (String, String)? in
            if case .writeFile(let path, let contents, _) = operation { return (path, contents) }
            return nil
        }, uniquingKeysWith: { $1 })
        #expect(files["/etc/passwd"]?.contains("app:x:60001:60002:app:/app:/bin/sh") == true)
        #expect(files["/etc/group"]?.contains("app:x:60002:") == true)
        #expect(files["/etc/hostname"] == "web-1\n")
        #expect(files["/etc/hosts"]?.contains("localhost web-1") == true)
        #expect(files["/etc/resolv.conf"] == "nameserver 192.0.2.53\n")
    }

    @Test("/app is read-only unless writable is asked; /data is writable; /tmp is a sized tmpfs")
    func appDataTmp() {
        let readOnly = plan { $0.appDirectory = "/srv/release" }
        #expect(readOnly.contains { if case .mount(nil, "/app", nil, let flags, nil) = $0 { return flags & UInt(MS_RDONLY) != 0 }; return false })
        let writable = plan { $0.appDirectory = "/srv/build"; $0.appWritable = true; $0.dataDirectory = "/srv/data"; $0.tmpSizeMB = 32 }
        #expect(!writable.contains { if case .mount(nil, "/app", nil, let flags, nil) = $0 { return flags & UInt(MS_RDONLY) != 0 }; return false })
        #expect(writable.contains(.mount(source: "/srv/data", target: "/data", type: nil, flags: UInt(MS_BIND | MS_REC), data: nil)))
        #expect(writable.contains(.tmpfs(at: "/tmp", options: "mode=1777,size=32m")))
    }

    @Test("a fresh /proc with kcore and keys masked, /proc/sys read-only, and only the own cgroup at /sys/fs/cgroup")
    func procAndSys() {
        let operations = plan { $0.cgroupView = .unified }
        let procIndex = operations.firstIndex(of: .mount(source: "proc", target: "/proc", type: "proc",
                                                         flags: UInt(MS_NOSUID | MS_NODEV | MS_NOEXEC), data: nil))
        let kcoreIndex = operations.firstIndex(of: .mount(source: "/dev/null", target: "/proc/kcore", type: nil, flags: UInt(MS_BIND), data: nil))
        #expect(procIndex != nil && kcoreIndex != nil && procIndex! < kcoreIndex!, "masks come after the mount")
        #expect(operations.contains(.mount(source: "@/proc/sys", target: "/proc/sys", type: nil, flags: UInt(MS_BIND), data: nil)))
        #expect(operations.contains(.mount(source: "cgroup2", target: "/sys/fs/cgroup", type: "cgroup2",
                                           flags: UInt(MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC), data: nil)))
        #expect(!operations.contains { $0.target == "/sys" && { if case .mount = $0 { true } else { false } }($0) },
                "no host /sys is mounted")
        let legacy = plan { $0.cgroupView = .legacy(controllers: ["memory", "pids"]) }
        #expect(legacy.contains(.mount(source: "cgroup", target: "/sys/fs/cgroup/memory", type: "cgroup",
                                       flags: UInt(MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC), data: "memory")))
    }

    @Test("extra read-only paths get their parents created first")
    func extraPaths() {
        let operations = plan { $0.extraReadOnlyPaths = ["/opt/swift"] }
        let optIndex = operations.firstIndex(of: .makeDirectory("/opt"))
        let bindIndex = operations.firstIndex(of: .mount(source: "/opt/swift", target: "/opt/swift", type: nil,
                                                         flags: UInt(MS_BIND | MS_REC), data: nil))
        #expect(optIndex != nil && bindIndex != nil && optIndex! < bindIndex!)
    }

    @Test("a template holds the static part; each sandbox adds its own mounts and identity, and binds /app from outside")
    func templateSplit() {
        var options = RootFilesystem.Options(hostname: "web-1", uid: 60001, gid: 60002, initExecutable: "/opt/init",
                                             resolvConf: "nameserver 192.0.2.53\n")
        options.appDirectory = "/srv/release"
        options.cgroupView = .legacy(controllers: ["memory"])
        let root = RootFilesystem(options: options, fileExists: { _ in true }, isDirectory: { $0.hasSuffix("certs") })
        let template = root.templateOperations()
        let sandbox = root.sandboxOperations()
        func mounts(_ operations: [MountOperation]) -> [String] {
            operations.compactMap { if case .mount(_, let target, _, _, _) = $0 { return target }; return nil }
        }
        #expect(mounts(template).contains("/usr") && mounts(template).contains("/init") && mounts(template).contains("/dev"))
        #expect(template.contains(.symlink(to: "/run/etc/passwd", at: "/etc/passwd")), "a link to the sandbox's own, not the identity itself")
        #expect(!template.contains { if case .writeFile(_, let contents, _) = $0 { return contents.contains("60001") }; return false })
        #expect(template.contains(.characterDevice("/dev/null", major: 1, minor: 3)))
        for perSandbox in ["/tmp", "/proc", "/dev/pts", "/dev/shm", "/sys/fs/cgroup/memory", "/run"] {
            #expect(mounts(sandbox).contains(perSandbox), "\(perSandbox)")
            #expect(!mounts(template).contains(perSandbox), "\(perSandbox)")
        }
        #expect(sandbox.contains(.writeFile("/run/etc/hostname", contents: "web-1\n")))
        #expect(sandbox.contains(.mount(source: nil, target: "/run", type: nil, flags: UInt(MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC), data: nil)),
                "identity files read-only")
        #expect(template.contains(.makeDirectory("/sys/fs/cgroup/memory")), "the controller's mount point is the template's")
        #expect(!mounts(sandbox).contains("/sys/fs/cgroup") && !mounts(template).contains("/sys/fs/cgroup"),
                "cgroup v1: no tmpfs to hold the controllers")
        #expect(!sandbox.contains { if case .makeDirectory(let path, _) = $0 { return path != "/run/etc" }; return false },
                "every mount point is the template's")
        #expect(!sandbox.contains(.makeDirectory("/proc")), "the template's mount point")
        #expect(!mounts(sandbox).contains("/app"), "host paths are not visible inside the copy")
        #expect(root.hostMounts().map(\.target) == ["/app"])
        #expect(root.hostMounts().first?.readOnly == true)
    }
}
