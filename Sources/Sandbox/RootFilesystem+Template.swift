import Glibc

extension RootFilesystem {
    /// What the static part of a root depends on besides the runner's fixed settings (init, resolv.conf,
    /// cgroup layout): sandboxes with equal keys share one template.
    public struct TemplateKey: Hashable, Sendable {
        public var extraReadOnlyPaths: [String]
        public var hasDataDirectory: Bool
    }

    public var templateKey: TemplateKey {
        TemplateKey(extraReadOnlyPaths: options.extraReadOnlyPaths, hasDataDirectory: options.dataDirectory != nil)
    }

    /// The part of the root that is the same for every sandbox with this ``templateKey``, built once into a
    /// template mount namespace (read-only root): `/usr` and the extra read-only paths, `/etc` with the
    /// shared files, the host's bound files and symlinks to each sandbox's own identity files in its
    /// `/run/etc`, the mount points, `/dev` with its device nodes, and `/init`.
    public func templateOperations() -> [MountOperation] {
        var operations = usr()
        operations += [.makeDirectory("/etc")]
            + sharedEtcFiles.map { .writeFile("/etc/\($0.name)", contents: $0.contents) }
            + identityFiles.map { .symlink(to: "/run/etc/\($0.name)", at: "/etc/\($0.name)") }
            + hostEtcBinds()
        operations += [.makeDirectory("/app")] + (options.dataDirectory == nil ? [] : [.makeDirectory("/data")])
        operations += [.makeDirectory("/tmp", mode: 0o1777), .makeDirectory("/run"), .makeDirectory("/proc")]
        if options.cgroupView != .none {
            operations += [.makeDirectory("/sys"), .makeDirectory("/sys/fs"), .makeDirectory("/sys/fs/cgroup")]
        }
        // cgroup v1: the controllers' mount points too, in the read-only template root, so that a sandbox mounts
        // only the controllers themselves (no tmpfs to hold them, no directories, no remount).
        if case .legacy(let controllers) = options.cgroupView {
            operations += controllers.map { .makeDirectory("/sys/fs/cgroup/\($0)") }
        }
        // /dev is shared by the sandboxes of a template: nothing in it is writable but the devices, and
        // noatime keeps reading it from being a signal between them.
        operations += dev().map { operation in
            guard case .mount("tmpfs", "/dev", let type, let flags, let data) = operation else { return operation }
            return .mount(source: "tmpfs", target: "/dev", type: type, flags: flags | UInt(MS_NOATIME), data: data)
        }.filter { !Self.isPerSandboxDevMount($0) }
        operations += initBinary()
        return Self.directoriesOnce(operations)
    }

    /// What each sandbox adds inside its copy of the template (paths inside the root): a small read-only
    /// `/run` with its identity files (the template's `/etc/passwd`, `group`, `hostname` and `hosts` are
    /// symlinks into it: two mounts instead of a bind and a read-only remount per file), a private `/tmp`
    /// and `/dev/shm`, its own `/dev/pts`, `/proc` and cgroup view. The host directories (`/app`, `/data`)
    /// come from ``hostMounts``.
    public func sandboxOperations() -> [MountOperation] {
        let runFlags = UInt(MS_NOSUID | MS_NODEV | MS_NOEXEC)
        var operations: [MountOperation] = [.tmpfs(at: "/run", options: "mode=0755,size=1m", flags: runFlags), .makeDirectory("/run/etc")]
        operations += identityFiles.map { .writeFile("/run/etc/\($0.name)", contents: $0.contents) }
        // Read-only for good: the whole tmpfs, not just this mount of it.
        operations.append(.mount(source: nil, target: "/run", type: nil, flags: UInt(MS_REMOUNT | MS_RDONLY) | runFlags, data: nil))
        // The mount points are the template's: no directories are made here. On cgroup v1 the template has
        // the controllers' directories, so the tmpfs that holds them in a root built from scratch is left out.
        operations += (tmp() + dev().filter(Self.isPerSandboxDevMount) + proc() + sys()).filter { operation in
            switch operation {
            case .makeDirectory: false
            case .mount(_, "/sys/fs/cgroup", _, _, _): options.cgroupView == .unified
            default: true
            }
        }
        return operations
    }

    /// Host directories each sandbox binds (from outside its copy of the template): `/app` read-only unless
    /// writable, `/data` writable.
    public func hostMounts() -> [(source: String, target: String, readOnly: Bool)] {
        var mounts: [(source: String, target: String, readOnly: Bool)] = []
        if let directory = options.appDirectory { mounts.append((directory, "/app", !options.appWritable)) }
        if let data = options.dataDirectory { mounts.append((data, "/data", false)) }
        return mounts
    }

    /// /dev/shm and /dev/pts: per sandbox, on mount points the template has.
    static func isPerSandboxDevMount(_ operation: MountOperation) -> Bool {
        if case .mount(_, let target, _, _, _) = operation { return target == "/dev/shm" || target == "/dev/pts" }
        return false
    }

    /// Each directory once: parents of several paths are planned more than once.
    static func directoriesOnce(_ operations: [MountOperation]) -> [MountOperation] {
        var made: Set<String> = []
        return operations.filter { operation in
            guard case .makeDirectory(let path, _) = operation else { return true }
            return made.insert(path).inserted
        }
    }
}
