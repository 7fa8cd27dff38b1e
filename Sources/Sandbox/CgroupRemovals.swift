import Cgroups
import Logging
import Synchronization

/// Removes the cgroups of ended sandboxes off their exit path (kill check and an rmdir per controller,
/// about 0.15 ms), and lets a sandbox that reuses the same name wait for its predecessor's removal.
final class CgroupRemovals: Sendable {
    private let manager: any CgroupManager
    private let logger: Logger
    private let state = Mutex<State>(State())

    private struct State {
        var pending: [CgroupName: (number: UInt64, removal: Task<Void, Never>)] = [:]
        var started: UInt64 = 0
    }

    init(manager: any CgroupManager, logger: Logger) {
        self.manager = manager
        self.logger = logger
    }

    /// Starts removing `cgroup` (killing anything left in it) and returns at once.
    /// - Parameter first: Other clean-up of the same sandbox to run first, in the background too (a new sandbox
    ///   of the same name waits for it as for the removal).
    func remove(_ cgroup: Cgroup, after first: @escaping @Sendable () -> Void = {}) {
        state.withLock { state in
            state.started += 1
            let number = state.started
            let previous = state.pending[cgroup.name]?.removal
            let removal = Task { [self] in
                await previous?.value
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
        }
    }

    /// Returns once no removal at all is under way.
    func waitUntilIdle() async {
        while let removal = state.withLock({ $0.pending.values.first?.removal }) {
            await removal.value
        }
    }

    /// Returns once no removal of `name` is under way.
    func waitUntilRemoved(_ name: CgroupName) async {
        while let removal = state.withLock({ $0.pending[name]?.removal }) {
            await removal.value
        }
    }
}
