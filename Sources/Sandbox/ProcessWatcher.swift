import CSpawn
import Glibc
import Synchronization
import Systemd

/// Watches pidfds on one event loop: a single thread in `epoll_wait` over every pidfd someone awaits,
/// instead of one blocked thread per sandbox. A pidfd becomes readable when its process exits.
///
/// Registrations are one-shot and keyed by fd number: several tasks awaiting the same pidfd share one
/// registration. The caller keeps the pidfd open until the wait returns.
final class ProcessWatcher: Sendable {
    /// The one watcher of this process; its thread starts on the first wait.
    static let shared = ProcessWatcher()

    /// The epoll set, or a negative errno when it could not be created (then each wait polls on a
    /// thread of its own).
    private let epollFD: Int32
    private let state = Mutex<State>(State())

    private struct State {
        var waiters: [Int32: [CheckedContinuation<Void, Never>]] = [:]
        var threadStarted = false
    }

    private init() {
        epollFD = paastech_watch_create()
    }

    /// Returns once `pidfd` is readable: its process has exited (not necessarily been reaped).
    func waitUntilReadable(_ pidfd: Int32) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let registered = state.withLock { state -> Bool in
                if state.waiters[pidfd] != nil {
                    state.waiters[pidfd]?.append(continuation)
                    return true
                }
                guard epollFD >= 0, startThread(&state), paastech_watch_add(epollFD, pidfd) == 0 else { return false }
                state.waiters[pidfd] = [continuation]
                return true
            }
            if !registered { Self.pollOnOwnThread(pidfd, continuation) }
        }
    }

    /// Starts the event loop once; false when no thread could be had.
    private func startThread(_ state: inout State) -> Bool {
        if state.threadStarted { return true }
        do {
            try DetachedThread.start { [self] in run() }
            state.threadStarted = true
            return true
        } catch {
            return false
        }
    }

    private func run() {
        var ready = [Int32](repeating: -1, count: 64)
        while true {
            let count = ready.withUnsafeMutableBufferPointer { paastech_watch_wait(epollFD, $0.baseAddress, Int32($0.count)) }
            guard count > 0 else {
                // Not expected (EBADF, ENOMEM); back off instead of spinning.
                if count < 0 { usleep(10_000) }
                continue
            }
            for fd in ready.prefix(Int(count)) {
                let resumed = state.withLock { state -> [CheckedContinuation<Void, Never>] in
                    _ = paastech_watch_remove(epollFD, fd)
                    return state.waiters.removeValue(forKey: fd) ?? []
                }
                for continuation in resumed { continuation.resume() }
            }
        }
    }

    /// The fallback without the event loop: one thread blocked in poll(2) for this pidfd.
    private static func pollOnOwnThread(_ pidfd: Int32, _ continuation: CheckedContinuation<Void, Never>) {
        let wait: @Sendable () -> Void = {
            var entry = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
            while poll(&entry, 1, -1) < 0 && errno == EINTR {}
            continuation.resume()
        }
        do {
            try DetachedThread.start(wait)
        } catch {
            wait()  // no thread to be had: block this one rather than never answer
        }
    }
}
