import Foundation
import Glibc
import Sandbox
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
        var options = SandboxHarness.options("""
            bomb() { bomb | bomb & }; bomb 2>/dev/null; sleep 1; echo still-here
            """)
        options.limits = .init(pids: 48)
        let before = Self.hostProcessCount()
        let started = ContinuousClock.now
        let run = Task { try await SandboxHarness.run(options) }
        // While the bomb runs, the host's process table holds at most the limit more (other tests' processes come
        // and go: a margin), and the host still forks and execs: ten /bin/true in turn, each promptly.
        try await Task.sleep(for: .milliseconds(300))
        let during = Self.hostProcessCount()
        #expect(during < before + 48 + 40, "host processes: \(before) before, \(during) during the bomb")
        for _ in 0..<10 {
            let spawned = ContinuousClock.now
            let child = try ChildProcess.spawn(executable: "/bin/true", arguments: [], environment: [:], passingFDs: [])
            guard case .exited(0) = await child.waitForExit() else {
                Issue.record("the host could not run /bin/true during the fork bomb")
                break
            }
            #expect(ContinuousClock.now - spawned < .seconds(1), "a host fork/exec took \(ContinuousClock.now - spawned)")
        }
        let result = try await run.value
        #expect(result.exit.events.pidsMaxHits > 0, "\(result.exit)")
        #expect(ContinuousClock.now - started < .seconds(30))
    }

    /// Processes (not threads) on the host: its /proc's numeric entries.
    static func hostProcessCount() -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).filter { $0.allSatisfy(\.isNumber) }.count
    }
}
