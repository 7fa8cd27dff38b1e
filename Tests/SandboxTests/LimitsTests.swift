import Foundation
import Glibc
import Sandbox
import Synchronization
import Systemd
import Testing

@Suite("Sandbox resource limits, with real cgroups")
struct LimitsTests {
    @Test("the memory limit is readable under /sys/fs/cgroup, and only the sandbox's own cgroup is there")
    func cgroupView() async throws {
        var options = SandboxHarness.options("""
            cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes
            cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max
            ls /sys/fs/cgroup/memory 2>/dev/null | grep -c '^app-' ; touch /sys/fs/cgroup/x 2>/dev/null && echo WROTE
            """)
        options.limits = .init(memoryBytes: 96 << 20, pids: 32)
        let result = try await SandboxHarness.run(options)
        let lines = result.output.split(separator: "\n").map(String.init)
        #expect(lines.first == String(96 << 20), "\(result.output)")
        #expect(lines.dropFirst().first == "32", "\(result.output)")
        #expect(lines.dropFirst(2).first == "0", "no sibling sandboxes visible: \(result.output)")
        #expect(!result.output.contains("WROTE"))
    }

    @Test("a 64M sandbox allocating 200M is OOM-killed, and it is reported")
    func oomKilled() async throws {
        var options = SandboxOptions(command: ["/usr/bin/python3", "-c", "b = bytearray(200 * 1024 * 1024); print('survived')"],
                                     hostname: "oom", uid: 61000, gid: 61000)
        options.limits = .init(memoryBytes: 64 << 20)
        let result = try await SandboxHarness.run(options)
        #expect(!result.output.contains("survived"))
        #expect(result.exit.oomKilled, "\(result.exit)")
        #expect(result.status == 128 + SIGKILL, "\(result.exit)")
        #expect(result.exit.description.contains("memory limit"))
    }

    @Test("a fork bomb stops at the pids limit and the host stays responsive")
    func forkBomb() async throws {
        // A uid no other test uses, so the bomb's processes can be counted on the host.
        let bomber: uid_t = 61077
        var options = SandboxHarness.options("""
            bomb() { bomb | bomb & }; bomb 2>/dev/null; sleep 1; echo still-here
            """, uid: bomber)
        options.limits = .init(pids: 48)
        let started = ContinuousClock.now
        let finished = Flag()
        let run = Task {
            defer { finished.set() }
            return try await SandboxHarness.run(options)
        }
        // While the sandbox runs, it holds at most its limit of the host's processes, and the host still forks and
        // execs /bin/true, again and again (generous bounds: the whole suite runs beside this test).
        var most = 0
        while !finished.isSet {
            try await Task.sleep(for: .milliseconds(20))
            most = max(most, Self.processes(of: bomber))
            let spawned = ContinuousClock.now
            let child = try ChildProcess.spawn(executable: "/bin/true", arguments: [], environment: [:], passingFDs: [])
            guard case .exited(0) = await child.waitForExit() else {
                Issue.record("the host could not run /bin/true during the fork bomb")
                break
            }
            #expect(ContinuousClock.now - spawned < .seconds(5), "a host fork/exec took \(ContinuousClock.now - spawned)")
        }
        // Seen at all (the count works; how many depends on when the samples fall), never more than the limit.
        #expect(most >= 1 && most <= 48, "the sandbox's processes seen on the host: at most \(most)")
        let result = try await run.value
        #expect(result.exit.events.pidsMaxHits > 0, "\(result.exit)")
        #expect(ContinuousClock.now - started < .seconds(30))
    }

    /// Processes (not threads) on the host running as `uid`.
    static func processes(of uid: uid_t) -> Int {
        let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).filter { $0.allSatisfy(\.isNumber) }
        return pids.filter { pid in
            let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
            return status.contains("\nUid:\t\(uid)\t")
        }.count
    }
}

/// A flag one task sets and another polls.
final class Flag: Sendable {
    private let value = Atomic(false)
    var isSet: Bool { value.load(ordering: .sequentiallyConsistent) }
    func set() { value.store(true, ordering: .sequentiallyConsistent) }
}
