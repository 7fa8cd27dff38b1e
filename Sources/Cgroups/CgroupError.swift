import Glibc
import Systemd

/// Why a cgroup operation failed: what was attempted, on which file, and how to fix it when known.
public enum CgroupError: Error, CustomStringConvertible, Sendable {
    /// A ``CgroupName`` id that is not 1 to 64 characters of `[a-z0-9-]`.
    case invalidName(String, reason: String)
    /// A ``ResourceLimits`` value the kernel cannot take (zero memory, a negative CPU quota, ...).
    case invalidLimits(String)
    /// `/sys/fs/cgroup` is neither a cgroup2 mount nor a tmpfs holding cgroup v1 controllers.
    case unsupportedHierarchy(root: String, detail: String)
    /// A controller the limits need is not available at `path`.
    case controllerMissing(String, path: String)
    /// A system call on a cgroup directory failed (mkdir, rmdir, open, statfs, ...).
    case systemCall(SystemCallError)
    /// Writing `value` to the cgroup file at `path` failed.
    case writeFailed(path: String, value: String, SystemCallError)
    /// Reading the cgroup file at `path` failed.
    case readFailed(path: String, SystemCallError)
    /// A file had content that could not be parsed, e.g. `/proc/self/cgroup`.
    case malformedFile(path: String, content: String)
    /// A leaf to be created already exists and still has processes in it.
    case inUse(path: String, pids: [pid_t])
    /// Processes were still in the cgroup after being killed and waited for.
    case stillPopulated(path: String, pids: [pid_t], waited: Duration)

    public var description: String {
        switch self {
        case .invalidName(let id, let reason):
            return "invalid cgroup id \"\(id)\": \(reason); use 1 to 64 characters of a-z, 0-9 and -"
        case .invalidLimits(let detail):
            return "invalid resource limits: \(detail)"
        case .unsupportedHierarchy(let root, let detail):
            return "no usable cgroup hierarchy at \(root): \(detail); mount cgroup2 there (systemd does on Debian 12)"
                + " or the cgroup v1 controllers memory, cpu and pids below a tmpfs"
        case .controllerMissing(let controller, let path):
            return "the \(controller) cgroup controller is not available at \(path); on cgroup v2 run pomegranate"
                + " with Delegate=yes in its unit, on cgroup v1 mount the \(controller) controller"
        case .systemCall(let error):
            return error.description
        case .writeFailed(let path, let value, let error):
            return "writing \"\(value)\" to \(path) failed: \(Self.reason(error.errno))\(Self.writeHint(error.errno, path: path))"
        case .readFailed(let path, let error):
            return "reading \(path) failed: \(Self.reason(error.errno))"
        case .malformedFile(let path, let content):
            return "cannot parse \(path): \"\(content.prefix(200))\""
        case .inUse(let path, let pids):
            return "cgroup \(path) already exists with processes \(pids); remove the old instance first"
        case .stillPopulated(let path, let pids, let waited):
            return "processes \(pids) were still in cgroup \(path) \(waited) after SIGKILL; they may be stuck in"
                + " uninterruptible sleep (state D in /proc/<pid>/stat)"
        }
    }

    private static func reason(_ errno: Int32) -> String {
        "\(String(cString: strerror(errno))) (errno \(errno))"
    }

    private static func writeHint(_ errno: Int32, path: String) -> String {
        switch errno {
        case ENOENT:
            return "; the controller of this file is not enabled for the cgroup: call prepare() first, and on"
                + " cgroup v2 check that the parent's cgroup.subtree_control lists it"
        case EBUSY where path.hasSuffix("cgroup.subtree_control"):
            return "; a process still sits in this cgroup (cgroup v2 allows no processes in inner cgroups)"
        case EACCES, EPERM:
            return "; this cgroup is not delegated to us: run as root, or with Delegate=yes in the unit"
        case ESRCH:
            return "; the process no longer exists"
        case EINVAL:
            return "; the kernel rejected the value"
        default:
            return ""
        }
    }
}
