import Dispatch
import Synchronization

/// When a pool of ready-made sandbox parts refills: on its serial queue, a moment after the take that emptied
/// a slot rather than during the sandbox start that took it, unless the pool is about to run dry.
///
/// A refill is CPU work (a network namespace with its veth pair: about 0.6 ms; a spare cgroup: 0.25 ms). Started
/// at once, it ran beside the start it was refilling for, which on a 2-core host is a critical path of its
/// own (clone, mounts, two execs): starts measured 0.3 to 0.5 ms slower than with the refill after them. In a
/// burst of starts (a deploy's instances) the pool would run dry before the delay is over, and each start
/// after that wire its own parts (a network namespace: about 1.8 ms), so a take that leaves at most one part
/// refills at once.
final class DeferredRefill: Sendable {
    /// Long enough for a start to finish (2 to 3 ms here) and for the app's first moments.
    static let delay = Duration.milliseconds(20)

    private let queue: DispatchQueue
    /// Entered when a refill is scheduled, left when it has run: what ``waitUntilDone()`` waits for.
    private let pending = DispatchGroup()
    /// At most one refill of each kind waits on the queue; a pool's refill makes every part it lacks.
    private let scheduled = Mutex((deferred: false, urgent: false))

    init(queue: DispatchQueue) {
        self.queue = queue
    }

    /// Runs `refill` on the queue: at once when `urgent` (the pool is nearly empty), else after ``delay``.
    func schedule(urgent: Bool, _ refill: @escaping @Sendable () -> Void) {
        let schedule = scheduled.withLock { scheduled -> Bool in
            if urgent {
                guard !scheduled.urgent else { return false }
                scheduled.urgent = true
            } else {
                guard !scheduled.deferred, !scheduled.urgent else { return false }
                scheduled.deferred = true
            }
            return true
        }
        guard schedule else { return }
        pending.enter()
        let run: @Sendable () -> Void = { [self] in
            scheduled.withLock { if urgent { $0.urgent = false } else { $0.deferred = false } }
            refill()
            pending.leave()
        }
        if urgent {
            queue.async(execute: run)
        } else {
            let queue = queue
            DelayedWork.shared.run(after: Self.delay) { queue.async(execute: run) }
        }
    }

    /// Returns once every refill scheduled so far has run.
    func waitUntilDone() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            pending.notify(queue: queue) { continuation.resume() }
        }
    }
}
