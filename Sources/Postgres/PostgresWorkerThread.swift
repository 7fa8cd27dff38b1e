import Foundation

/// A dedicated OS thread that runs submitted jobs one at a time, in submission order.
///
/// libpq calls block for as long as a query runs. Running them here keeps them off NIO event loops and
/// off Swift's cooperative thread pool (which has one thread per core and must never block).
final class PostgresWorkerThread: @unchecked Sendable {
    // safe: every stored var below is read and written only while `condition` is locked.
    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    private var isStarted = false
    private var isStopping = false
    private var isFinished = false
    private let name: String

    /// The thread itself starts with the first job, so an unused pool slot costs nothing.
    init(name: String) {
        self.name = name
    }

    /// Queues `job`. Returns `false` (and drops the job) once ``stop(finally:)`` was called.
    func submit(_ job: @escaping @Sendable () -> Void) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !isStopping else { return false }
        enqueue(job)
        return true
    }

    /// Runs `body` on the thread and returns its result to the awaiting task.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let accepted = submit { continuation.resume(with: Result { try body() }) }
            if !accepted {
                continuation.resume(throwing: PostgresError(kind: .clientClosed, message: "the PostgresClient was closed"))
            }
        }
    }

    /// Refuses new jobs, lets the queued ones finish, runs `finalJob` last on the thread, then ends
    /// the thread. When the thread never started (or already ended), `finalJob` runs on the caller.
    func stop(finally finalJob: @escaping @Sendable () -> Void) {
        condition.lock()
        isStopping = true
        guard isStarted, !isFinished else {
            condition.unlock()
            finalJob()
            return
        }
        enqueue(finalJob)
        condition.unlock()
    }

    /// Call with `condition` locked.
    private func enqueue(_ job: @escaping @Sendable () -> Void) {
        jobs.append(job)
        if !isStarted {
            isStarted = true
            let thread = Thread { [self] in runLoop() }
            thread.name = name
            thread.start()
        }
        condition.signal()
    }

    private func runLoop() {
        while true {
            condition.lock()
            while jobs.isEmpty && !isStopping { condition.wait() }
            guard !jobs.isEmpty else {
                isFinished = true
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job()
        }
    }
}
