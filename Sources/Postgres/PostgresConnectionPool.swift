import Logging
import Synchronization

/// Hands out ``PostgresConnectionSlot``s: one caller per slot at a time; when all are busy,
/// callers wait in FIFO order.
final class PostgresConnectionPool: Sendable {
    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<PostgresConnectionSlot, Error>
    }

    private struct State {
        /// Free slots; the most recently used is reused first, so idle load keeps few connections open.
        var idle: [PostgresConnectionSlot]
        var waiters: [Waiter] = []
        var nextWaiterID: UInt64 = 0
        var isClosed = false
    }

    private let slots: [PostgresConnectionSlot]
    private let state: Mutex<State>

    init(configuration: PostgresConfiguration, logger: Logger) {
        slots = (0..<max(1, configuration.poolSize)).map {
            PostgresConnectionSlot(number: $0, configuration: configuration, logger: logger)
        }
        state = Mutex(State(idle: slots.reversed()))
    }

    /// Callers waiting for a slot right now (for metrics, and for tests that need to know a caller is queued).
    var waitingCallers: Int { state.withLock { $0.waiters.count } }

    /// Waits for a free slot. Throws `CancellationError` if the task is cancelled while waiting.
    func lease() async throws -> PostgresConnectionSlot {
        let id = state.withLock { state in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let immediate: Result<PostgresConnectionSlot, Error>? = state.withLock { state in
                    if state.isClosed { return .failure(Self.closedError) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if let slot = state.idle.popLast() { return .success(slot) }
                    state.waiters.append(Waiter(id: id, continuation: continuation))
                    return nil
                }
                if let immediate { continuation.resume(with: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> Waiter? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index)
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Returns a slot: straight to the longest-waiting caller, or back to the idle list.
    func release(_ slot: PostgresConnectionSlot) {
        let waiter = state.withLock { state -> Waiter? in
            guard !state.isClosed else { return nil }
            guard !state.waiters.isEmpty else {
                state.idle.append(slot)
                return nil
            }
            return state.waiters.removeFirst()
        }
        waiter?.continuation.resume(returning: slot)
    }

    /// Fails waiting callers; each slot closes its connection once its queued statements finish.
    func close() {
        for waiter in markClosed() { waiter.continuation.resume(throwing: Self.closedError) }
        for slot in slots { slot.shutdown() }
    }

    private func markClosed() -> [Waiter] {
        state.withLock { state in
            state.isClosed = true
            state.idle.removeAll()
            defer { state.waiters.removeAll() }
            return state.waiters
        }
    }

    private static var closedError: PostgresError {
        PostgresError(kind: .clientClosed, message: "the PostgresClient was closed")
    }
}
