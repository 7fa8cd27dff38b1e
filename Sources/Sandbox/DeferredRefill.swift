import Dispatch

/// When a pool of ready-made sandbox parts refills: on its serial queue, a moment after the take that emptied
/// a slot, not during the sandbox start that took it.
///
/// A refill is CPU work (a network namespace with its veth pair: about 0.6 ms; a spare cgroup: 0.25 ms). Started
/// at once, it ran beside the start it was refilling for, which on a 2-core host is a critical path of its
/// own (clone, mounts, two execs): starts measured 0.3 to 0.5 ms slower than with the refill after them. A
/// deploy's burst of starts takes what the pool has and wires the rest itself either way; the pool is full
/// again well before a later start.
final class DeferredRefill: Sendable {
    /// Long enough for a start to finish (2 to 3 ms here) and for the app's first moments.
    static let delay = DispatchTimeInterval.milliseconds(20)

    private let queue: DispatchQueue
    /// Entered when a refill is scheduled, left when it has run: what ``waitUntilDone()`` waits for.
    private let pending = DispatchGroup()

    init(queue: DispatchQueue) {
        self.queue = queue
    }

    /// Runs `refill` on the queue after ``delay``. The caller schedules at most one at a time.
    func schedule(_ refill: @escaping @Sendable () -> Void) {
        pending.enter()
        queue.asyncAfter(deadline: .now() + Self.delay) { [pending] in
            refill()
            pending.leave()
        }
    }

    /// Returns once every refill scheduled so far has run.
    func waitUntilDone() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            pending.notify(queue: queue) { continuation.resume() }
        }
    }
}
