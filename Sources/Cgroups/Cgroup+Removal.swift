import Glibc
import Systemd

extension Cgroup {
    /// How long ``removeKillingProcesses()`` waits for killed processes to leave.
    static let removalTimeout = Duration.seconds(10)

    /// Kills every process in the cgroup, waits until it is empty, and removes the leaf directories.
    ///
    /// On v2 `cgroup.kill` kills the whole cgroup at once, forks included; without it (v1, kernels
    /// before 5.14) every listed pid gets SIGKILL, repeated until none is left, which also catches
    /// processes forked in between. A pid in `cgroup.procs` cannot be reused while listed there, and a
    /// process leaves the list when it exits (before being reaped), so the kill cannot hit a stranger.
    func removeKillingProcesses() async throws(CgroupError) {
        let clock = ContinuousClock()
        let deadline = clock.now + Self.removalTimeout
        if case .unified(let leaf) = layout {
            try leaf.writeIfPresent("1", to: "cgroup.kill")
        }
        var remaining = processes()
        while !remaining.isEmpty {
            for pid in remaining {
                _ = kill(pid, SIGKILL)  // ESRCH: it has just exited
            }
            guard clock.now < deadline else {
                throw .stillPopulated(path: directories.first?.path ?? "\(name)", pids: remaining, waited: Self.removalTimeout)
            }
            try? await Task.sleep(for: .milliseconds(10))
            remaining = processes()
        }
        for directory in directories {
            try await Self.removeDirectory(directory.path, until: deadline, clock: clock)
        }
    }

    /// rmdir, retrying EBUSY briefly: the kernel can take a moment to release a cgroup whose last process
    /// just exited.
    private static func removeDirectory(
        _ path: String, until deadline: ContinuousClock.Instant, clock: ContinuousClock
    ) async throws(CgroupError) {
        while true {
            do throws(SystemCallError) {
                try SystemCall.removeDirectory(path)
                return
            } catch where error.errno == EBUSY && clock.now < deadline {
                try? await Task.sleep(for: .milliseconds(10))
            } catch {
                throw .systemCall(error)
            }
        }
    }
}
