import Cgroups
import Logging
import Synchronization

/// Removes the cgroups of ended sandboxes off their exit path (kill check and an rmdir per controller,
/// about 0.15 ms), and lets a sandbox that reuses the same name wait for its predecessor's removal.
///
/// A removal starts ``defaultDelay`` after the exit, or at once when someone waits for it. Started at the exit, it
/// ran beside the exit's report to whoever awaited it and, on a 2-core host, delayed that report by about
/// 0.13 ms (measured in `make bench`: the woken worker took the CPU from the reporting thread).
final class CgroupRemovals: Sendable {
    private let manager: any CgroupManager
    private let logger: Logger
    private let state = Mutex<State>(State())

    /// How long a removal waits unless someone waits for it: past the exit's report and the caller's first
    /// reaction to it.
    static let defaultDelay = Duration.milliseconds(10)
    private let delay: Duration

    private struct State {
        var pending: [CgroupName: (number: UInt64, removal: PendingRemoval)] = [:]
        var started: UInt64 = 0
    }

    init(manager: any CgroupManager, logger: Logger, delay: Duration = defaultDelay) {
        self.manager = manager
        self.logger = logger
        self.delay = delay
    }

    /// Starts removing `cgroup` (killing anything left in it) and returns at once.
    /// - Parameter first: Other clean-up of the same sandbox to run first, in the background too (a new sandbox
    ///   of the same name waits for it as for the removal).
    func remove(_ cgroup: Cgroup, after first: @escaping @Sendable () -> Void = {}) {
        state.withLock { state in
            state.started += 1
            let number = state.started
            let previous = state.pending[cgroup.name]?.removal
            let removal = PendingRemoval { [self] in
                if let previous { await previous.start().value }
                first()
                do {
                    try await manager.remove(cgroup)
                } catch {
                    logger.warning("could not remove a sandbox cgroup", metadata: ["cgroup": "\(cgroup.name)", "error": "\(error)"])
                }
                // Forget it, unless a newer removal of the same name took its place.
                self.state.withLock { state in
                    if state.pending[cgroup.name]?.number == number { state.pending[cgroup.name] = nil }
                }
            }
            state.pending[cgroup.name] = (number, removal)
            DelayedWork.shared.run(after: delay) { _ = removal.start() }
        }
    }

    /// Returns once no removal at all is under way.
    func waitUntilIdle() async {
        while let removal = state.withLock({ $0.pending.values.first?.removal }) {
            await removal.start().value
        }
    }

    /// Returns once no removal of `name` is under way.
    func waitUntilRemoved(_ name: CgroupName) async {
        while let removal = state.withLock({ $0.pending[name]?.removal }) {
            await removal.start().value
        }
    }
}

/// A removal that has not necessarily started: its task is created by the first ``start()``, from the delay's
/// timer or from someone who waits for it. (Creating the task at the exit woke a worker thread there.)
final class PendingRemoval: Sendable {
    private let body: @Sendable () async -> Void
    private let task = Mutex<Task<Void, Never>?>(nil)

    init(_ body: @escaping @Sendable () async -> Void) {
        self.body = body
    }

    /// The removal's task, started now unless it was already.
    func start() -> Task<Void, Never> {
        task.withLock { task in
            if let task { return task }
            let started = Task { await body() }
            task = started
            return started
        }
    }
}
