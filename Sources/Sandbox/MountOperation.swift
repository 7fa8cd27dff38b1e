import Glibc

/// One step of building a sandbox's root filesystem, executed in order by the C child
/// (`paastech_operation`). Targets are paths inside the sandbox; the spawner prefixes the staging root.
public enum MountOperation: Sendable, Equatable {
    case makeDirectory(String, mode: mode_t = 0o755)
    /// An empty file to bind-mount a file onto.
    case touch(String)
    case mount(source: String?, target: String, type: String?, flags: UInt, data: String?)
    case symlink(to: String, at: String)
    case writeFile(String, contents: String, mode: mode_t = 0o644)
    /// A character device node (`/dev/null`): one mknod instead of a file and a bind mount.
    case characterDevice(String, major: UInt32, minor: UInt32, mode: mode_t = 0o666)

    public static func bind(_ source: String, at target: String, readOnly: Bool, recursive: Bool = true) -> [MountOperation] {
        let bind = MountOperation.mount(source: source, target: target, type: nil,
                                        flags: UInt(MS_BIND) | (recursive ? UInt(MS_REC) : 0), data: nil)
        guard readOnly else { return [bind] }
        // A bind mount takes its read-only flag only on a remount.
        return [bind, .mount(source: nil, target: target, type: nil,
                             flags: UInt(MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV), data: nil)]
    }

    public static func tmpfs(at target: String, options: String, flags: UInt = UInt(MS_NOSUID | MS_NODEV)) -> MountOperation {
        .mount(source: "tmpfs", target: target, type: "tmpfs", flags: flags, data: options)
    }

    /// The path inside the sandbox this operation creates or changes.
    public var target: String {
        switch self {
        case .makeDirectory(let path, _), .touch(let path), .writeFile(let path, _, _), .characterDevice(let path, _, _, _): path
        case .mount(_, let target, _, _, _): target
        case .symlink(_, let at): at
        }
    }
}
