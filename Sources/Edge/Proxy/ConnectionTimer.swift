import NIOCore

/// A timeout that is armed and cancelled on every request without going through the event loop's
/// scheduler each time (a scheduled task costs a promise and two closures, and cancelling one searches
/// the loop's task heap). It keeps at most one scheduled task: arming only moves the deadline, and a task
/// that fires before the current deadline schedules itself again for it. Use on the event loop only.
final class ConnectionTimer {
    private let eventLoop: EventLoop
    /// When the armed timeout expires; nil when disarmed.
    private var deadline: NIODeadline?
    /// The scheduled task and when it fires.
    private var scheduled: (task: Scheduled<Void>, at: NIODeadline)?
    private let onExpiry: () -> Void

    /// - Parameter onExpiry: Runs when an armed timeout expires (once per arming).
    init(eventLoop: EventLoop, onExpiry: @escaping () -> Void) {
        self.eventLoop = eventLoop
        self.onExpiry = onExpiry
    }

    /// Expires after `delay`, replacing any earlier arming.
    func arm(in delay: TimeAmount) {
        let deadline = NIODeadline.now() + delay
        self.deadline = deadline
        if let scheduled {
            // A task that fires early re-arms itself; only a later one must be moved.
            guard scheduled.at > deadline else { return }
            scheduled.task.cancel()
        }
        schedule(at: deadline)
    }

    /// Disarms; the scheduled task, if any, stays and finds nothing to do.
    func cancel() {
        deadline = nil
    }

    /// Disarms and drops the scheduled task (the connection is going away).
    func stop() {
        deadline = nil
        scheduled?.task.cancel()
        scheduled = nil
    }

    private func schedule(at deadline: NIODeadline) {
        let task = eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [weak self] () -> Void in
            self?.fired()
        }
        scheduled = (task, deadline)
    }

    private func fired() {
        scheduled = nil
        guard let deadline else { return }
        if deadline > .now() {
            schedule(at: deadline)
            return
        }
        self.deadline = nil
        onExpiry()
    }
}
