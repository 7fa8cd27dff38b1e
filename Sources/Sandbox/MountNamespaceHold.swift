import Dispatch
import Glibc
import Synchronization

/// An fd of a sandbox's mount namespace, held so that the namespace outlives the sandbox's processes.
///
/// When the last process of a mount namespace exits, the kernel unmounts everything in it and waits for
/// an RCU grace period, on that process's exit path: about 0.3 ms before pomegranate learns that the
/// sandbox ended. Holding the namespace moves that work to ``releaseInBackground()``, after the exit has
/// been reported. Nothing can enter the namespace through this fd but pomegranate (root).
final class MountNamespaceHold: Sendable {
    private let fd: Mutex<Int32>
    private static let queue = DispatchQueue(label: "paastech.sandbox.mount-namespace-release", qos: .utility)

    /// Opens `/proc/<pid>/ns/mnt`; nil when the process has already gone (then there is nothing to hold).
    init?(pid: pid_t) {
        let opened = open("/proc/\(pid)/ns/mnt", O_RDONLY | O_CLOEXEC)
        guard opened >= 0 else { return nil }
        fd = Mutex(opened)
    }

    deinit {
        let remaining = fd.withLock { $0 }
        if remaining >= 0 { close(remaining) }
    }

    /// Returns once every namespace let go so far has been torn down.
    static func waitUntilReleased() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async { continuation.resume() }
        }
    }

    /// Lets the namespace go, tearing it down on a background queue.
    func releaseInBackground() {
        let taken = fd.withLock { fd -> Int32 in
            defer { fd = -1 }
            return fd
        }
        guard taken >= 0 else { return }
        Self.queue.async { close(taken) }
    }
}
