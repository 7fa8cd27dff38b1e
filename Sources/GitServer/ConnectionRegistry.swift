import Synchronization

/// Counts the connections being served, enforces `max_connections`, and tells connection threads when the
/// server stops: on graceful shutdown connections that are not pushing yet are closed and pushes finish;
/// on cancellation every connection is ended at once.
final class ConnectionRegistry: Sendable {
    enum Phase: Sendable, Equatable {
        /// Accepting and serving.
        case serving
        /// Graceful shutdown: no new connections; running pushes finish.
        case draining
        /// Cancelled: every connection ends now, killing its receive-pack.
        case aborting
    }

    private struct State {
        var active = 0
        var phase = Phase.serving
        var idleWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let limit: Int
    private let state = Mutex(State())

    /// - Parameter limit: Connections served at once (`max_connections`).
    init(limit: Int) {
        self.limit = limit
    }

    /// The phase connection threads check between polls.
    var phase: Phase { state.withLock { $0.phase } }

    /// Connections being served now.
    var activeCount: Int { state.withLock { $0.active } }

    /// Takes a slot for a new connection; false when `max_connections` are served or the server stops.
    func admit() -> Bool {
        state.withLock { state in
            guard state.phase == .serving, state.active < limit else { return false }
            state.active += 1
            return true
        }
    }

    /// Gives back the slot of a connection that ended.
    func leave() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.active -= 1
            guard state.active == 0 else { return [] }
            defer { state.idleWaiters = [] }
            return state.idleWaiters
        }
        waiters.forEach { $0.resume() }
    }

    /// Graceful shutdown begins (never undoes an abort).
    func drain() {
        state.withLock { if $0.phase == .serving { $0.phase = .draining } }
    }

    /// Every connection must end now.
    func abort() {
        state.withLock { $0.phase = .aborting }
    }

    /// Returns once no connection is served.
    func waitUntilIdle() async {
        await withCheckedContinuation { continuation in
            let idle = state.withLock { state in
                if state.active == 0 { return true }
                state.idleWaiters.append(continuation)
                return false
            }
            if idle { continuation.resume() }
        }
    }
}
