import Dispatch
import Synchronization

/// Runs async work from a connection thread, which drives libssh synchronously and may block: the work runs
/// on the cooperative pool while this thread (never a pool thread) waits for it.
enum BlockingCall {
    private final class Outcome<Value: Sendable>: Sendable {
        let result = Mutex<Result<Value, any Error>?>(nil)
        let finished = DispatchSemaphore(value: 0)
    }

    static func run<Value: Sendable>(_ operation: @escaping @Sendable () async throws -> Value) throws -> Value {
        let outcome = Outcome<Value>()
        Task {
            let result: Result<Value, any Error>
            do {
                result = .success(try await operation())
            } catch {
                result = .failure(error)
            }
            outcome.result.withLock { $0 = result }
            outcome.finished.signal()
        }
        outcome.finished.wait()
        // safe: the task stores its result before it signals.
        return try outcome.result.withLock { $0! }.get()
    }
}
