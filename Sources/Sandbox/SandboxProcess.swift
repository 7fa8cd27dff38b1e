import CSpawn
import Glibc
import Systemd

/// pidfd operations on sandbox processes, for live restore.
public enum SandboxProcess {
    /// Opens a pidfd (close-on-exec) of `pid`. Close it when done.
    /// - Throws: `SystemCallError` (ESRCH: no such process).
    public static func openPidfd(pid: pid_t) throws(SystemCallError) -> Int32 {
        let fd = paastech_pidfd_open(pid)
        guard fd >= 0 else {
            throw SystemCallError(operation: "pidfd_open(\(pid))", errno: -fd, hint: -fd == ESRCH ? "process \(pid) has exited" : nil)
        }
        return fd
    }

    /// A copy, in this process, of fd `targetFD` of process `pid` (`pidfd_getfd(2)`), close-on-exec.
    ///
    /// Live restore of log pipes: a sandbox's init holds the read ends of its app's stdout and stderr at
    /// 3, 4, ... (``SandboxOptions/heldFDs``); a restarted pomegranate takes them back with this.
    /// - Parameters:
    ///   - pid: The process holding the fd (a sandbox's init).
    ///   - pidfd: A pidfd of `pid` when at hand (``RunningSandbox/process``); else one is opened for the call.
    ///   - targetFD: The fd number inside that process.
    /// - Returns: The new fd; the caller owns it.
    /// - Throws: `SystemCallError`: ESRCH (the process is gone), EBADF (no such fd there), EPERM (not root).
    public static func duplicateFD(pid: pid_t, pidfd: Int32?, targetFD: Int32) throws(SystemCallError) -> Int32 {
        let processFD: Int32
        if let pidfd { processFD = pidfd } else { processFD = try openPidfd(pid: pid) }
        defer { if pidfd == nil { close(processFD) } }
        let fd = paastech_pidfd_getfd(processFD, targetFD)
        guard fd >= 0 else {
            let hint: String? = switch -fd {
            case EBADF: "process \(pid) has no fd \(targetFD) open"
            case EPERM: "pidfd_getfd needs CAP_SYS_PTRACE over the process: run pomegranate as root"
            case ESRCH: "process \(pid) has exited"
            default: nil
            }
            throw SystemCallError(operation: "pidfd_getfd(pid \(pid), fd \(targetFD))", errno: -fd, hint: hint)
        }
        return fd
    }
}
