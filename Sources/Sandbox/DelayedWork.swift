import Glibc
import Systemd

/// Runs closures a moment later, on one thread of its own: the background work a sandbox start or exit
/// leaves behind (pool refills, cgroup removals), kept off those paths.
///
/// Dispatch's `asyncAfter` made a timer source per call: about 15 µs on the start path for each pool and on
/// the exit path, measured in `make bench`. Here scheduling takes a lock and appends; it wakes the thread
/// only when the new work is due before everything already waiting.
final class DelayedWork: @unchecked Sendable {
    static let shared = DelayedWork()

    private struct Item {
        let deadline: timespec
        let work: @Sendable () -> Void
    }

    // @unchecked Sendable: `items` is only touched with `mutex` held.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// Sorted by deadline.
    private var items: [Item] = []
    private var started = false

    private init() {
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    /// Runs `work` on the delayed-work thread once `delay` has passed; if that thread cannot be made, at once
    /// on the calling thread (with anything else waiting), as background work that is late is still done.
    func run(after delay: Duration, _ work: @escaping @Sendable () -> Void) {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let item = Item(deadline: Self.adding(delay, to: now), work: work)
        pthread_mutex_lock(mutex)
        let index = items.firstIndex { Self.isBefore(item.deadline, $0.deadline) } ?? items.endIndex
        items.insert(item, at: index)
        let mustStart = !started
        started = true
        pthread_mutex_unlock(mutex)
        if mustStart {
            do {
                try DetachedThread.start { self.loop() }
            } catch {
                pthread_mutex_lock(mutex)
                started = false
                let orphaned = items
                items = []
                pthread_mutex_unlock(mutex)
                for item in orphaned { item.work() }
            }
        } else if index == 0 {
            pthread_cond_signal(condition)
        }
    }

    private func loop() {
        pthread_mutex_lock(mutex)
        while true {
            guard let first = items.first else {
                pthread_cond_wait(condition, mutex)
                continue
            }
            var now = timespec()
            clock_gettime(CLOCK_MONOTONIC, &now)
            guard !Self.isBefore(now, first.deadline) else {
                var deadline = first.deadline
                pthread_cond_timedwait(condition, mutex, &deadline)
                continue
            }
            items.removeFirst()
            pthread_mutex_unlock(mutex)
            first.work()
            pthread_mutex_lock(mutex)
        }
    }

    private static func adding(_ duration: Duration, to time: timespec) -> timespec {
        let (seconds, attoseconds) = duration.components
        var sum = time
        sum.tv_sec += Int(seconds)
        sum.tv_nsec += Int(attoseconds / 1_000_000_000)
        if sum.tv_nsec >= 1_000_000_000 {
            sum.tv_sec += 1
            sum.tv_nsec -= 1_000_000_000
        }
        return sum
    }

    private static func isBefore(_ a: timespec, _ b: timespec) -> Bool {
        a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec < b.tv_nsec)
    }
}
