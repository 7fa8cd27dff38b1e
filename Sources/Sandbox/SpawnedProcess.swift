import CSpawn
import Glibc
import Synchronization

/// A process pomegranate watches through a pidfd: a sandbox's init (its pid as seen from the host),
/// or a session. Either our own child, which we reap and whose exit status we learn, or a process
/// adopted after a pomegranate restart, whose status nobody can tell us.
///
/// Waiting uses the shared pidfd event loop, not a thread per process; waiting again, or from several
/// tasks at once, returns the same result. The pidfd is closed when this object goes away.
public final class SpawnedProcess: Sendable {
    /// The process id in the host's pid namespace.
    public let pid: pid_t
    /// A pidfd of the process; owned by this object: do not close it.
    public let pidfd: Int32
    /// Whether we are its parent (and so can reap it and learn its status).
    public let isChild: Bool
    private let exit = Mutex<Ending>(.running)

    private enum Ending {
        case running
        case ended(Int32?)
    }

    init(pid: pid_t, pidfd: Int32, isChild: Bool) {
        self.pid = pid
        self.pidfd = pidfd
        self.isChild = isChild
    }

    deinit {
        close(pidfd)
    }

    /// Waits for the process to end and, for our own child, reaps it.
    /// - Returns: The exit status, or 128 + signal; nil when it is not known (an adopted process, which
    ///   its real parent reaps).
    public func waitForExit() async -> Int32? {
        if case .ended(let status) = exit.withLock({ $0 }) { return status }
        await ProcessWatcher.shared.waitUntilReadable(pidfd)
        return exit.withLock { ending in
            if case .ended(let status) = ending { return status }
            var status: Int32?
            var code: Int32 = 0
            // The pidfd is readable, so the child is a zombie and this does not block.
            if isChild && paastech_reap_pidfd(pidfd, 0, &code) == 0 { status = code }
            ending = .ended(status)
            return status
        }
    }

    /// Whether the process has ended (been seen to end by ``waitForExit()``).
    public var hasEnded: Bool {
        if case .ended = exit.withLock({ $0 }) { return true }
        return false
    }

    /// Sends `signal` through the pidfd, which cannot hit another process that reused the pid.
    /// - Returns: false when the process is gone (ESRCH) or the signal could not be sent.
    @discardableResult
    public func signal(_ signal: Int32) -> Bool {
        paastech_pidfd_send_signal(pidfd, signal) == 0
    }
}
