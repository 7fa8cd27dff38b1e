import Foundation
import Glibc
import Sandbox
import Testing

@Suite("One-off sessions inside running sandboxes, as root")
struct SessionTests {
    @Test("a session sees the sandbox's processes, runs as its uid under its filter in its cgroup, and its status comes back")
    func sessionJoinsSandbox() async throws {
        let app = OutputFile()
        var options = SandboxHarness.options("echo ready; exec sleep 30")
        options.limits = .init(memoryBytes: 96 << 20, pids: 32)
        options.stdio = [0, app.fd, app.fd]
        let sandbox = try await SandboxHarness.runner.start(options)
        defer { sandbox.signal(SIGKILL) }
        #expect(await app.waitFor("ready"))

        let output = OutputFile()
        // The session ends only when told to (a line on its stdin): under load this task may resume long
        // after the spawn, and the session must still be there to be looked at.
        var gate: [Int32] = [-1, -1]
        #expect(pipe(&gate) == 0)
        defer { close(gate[0]) }
        let session = try await SandboxHarness.runner.runSession(
            in: sandbox,
            command: ["/bin/sh", "-c", """
                ps -e -o pid=,comm=; echo uid=$(id -u) gid=$(id -g)
                grep -E '^(Seccomp|NoNewPrivs|CapEff):' /proc/self/status
                echo limit=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max)
                echo host=$(hostname) cwd=$(pwd) var=$SESSION_VAR
                read go; exit 7
                """],
            environment: ["SESSION_VAR": "from-session"], stdio: [gate[0], output.fd, output.fd])
        // In the sandbox's cgroup, seen from the host, while it runs.
        #expect(sandbox.cgroup.processes().contains(session.pid), "\(sandbox.cgroup.processes()) lacks \(session.pid)")
        _ = write(gate[1], "go\n", 3)
        close(gate[1])
        let status = await session.waitForExit()
        #expect(status == 7)

        let text = output.contents
        let processes = text.split(separator: "\n").prefix { !$0.hasPrefix("uid=") }
            .map { $0.split(separator: " ").map(String.init) }
        #expect(processes.contains(["1", "init"]), "\(text)")
        #expect(processes.contains { $0.last == "sleep" }, "the app is visible: \(text)")
        #expect(processes.count <= 6, "only the sandbox's processes: \(text)")
        #expect(text.contains("uid=61000 gid=61000"), "\(text)")
        #expect(text.contains("Seccomp:\t2"), "\(text)")
        #expect(text.contains("NoNewPrivs:\t1"), "\(text)")
        #expect(text.contains("CapEff:\t0000000000000000"), "\(text)")
        #expect(text.contains("limit=\(96 << 20)\n"), "\(text)")
        #expect(text.contains("host=test-instance cwd=/app var=from-session"), "\(text)")

        sandbox.signal(SIGKILL)
        let exit = await sandbox.waitForExit()
        #expect(exit.status == 128 + SIGKILL)
    }

    @Test("a session in a sandbox that has ended fails with a typed error")
    func sessionInEndedSandbox() async throws {
        let sandbox = try await SandboxHarness.runner.start(SandboxHarness.options("true"))
        _ = await sandbox.waitForExit()
        await #expect(throws: SpawnError.self) {
            _ = try await SandboxHarness.runner.runSession(in: sandbox, command: ["/bin/true"], stdio: [0, 1, 2])
        }
    }
}
