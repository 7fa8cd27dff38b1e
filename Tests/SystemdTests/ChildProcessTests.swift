import Glibc
import Testing

@testable import Systemd

@Suite("Child processes", .timeLimit(.minutes(1)))
struct ChildProcessTests {
    @Test func passedDescriptorsArriveAtThreeAndUpAndNothingElseLeaks() async throws {
        let output = try makePipe()
        defer { close(output.read) }
        let listener = try ListeningSocket.bindTCP(host: "127.0.0.1", port: 0)
        defer { close(listener) }
        // Not close-on-exec: posix_spawn alone would let it leak into the child.
        let leaky = try checked(open("/dev/null", O_RDONLY), "open(/dev/null)")
        defer { close(leaky) }

        // Fixed script; values arrive as "$1" and through the environment.
        let script = """
            exec >&3
            [ -S /proc/$$/fd/4 ] && echo "fd4=socket"
            [ -e /proc/$$/fd/$1 ] && echo "leaked=yes" || echo "leaked=no"
            [ -e /proc/$$/fd/5 ] && echo "fd5=open" || echo "fd5=closed"
            echo "greeting=$GREETING"
            exit 7
            """
        let child = try ChildProcess.spawn(
            executable: "/bin/sh",
            arguments: ["-c", script, "sh", "\(leaky)"],
            environment: ["GREETING": "hello child", "PATH": "/usr/bin:/bin"],
            passingFDs: [output.write, listener]
        )
        close(output.write)
        #expect(child.pid > 0)
        #expect(await child.waitForExit() == .exited(code: 7))
        let lines = String(decoding: try readAll(output.read), as: UTF8.self).split(separator: "\n")
        #expect(lines == ["fd4=socket", "leaked=no", "fd5=closed", "greeting=hello child"])
        // The parent keeps its own descriptors, still close-on-exec.
        #expect(fcntl(listener, F_GETFD) & FD_CLOEXEC != 0)
    }

    @Test func eachDescriptorLandsAtItsPosition() async throws {
        // Passed in reverse order of their numbers: fds[i] must become 3 + i whatever the source numbers.
        let first = try makePipe()
        let second = try makePipe()
        defer { [first.read, second.read].forEach { close($0) } }
        let child = try ChildProcess.spawn(
            executable: "/bin/sh",
            arguments: ["-c", "echo to-three >&3; echo to-four >&4"],
            environment: [:],
            passingFDs: [second.write, first.write]
        )
        close(first.write)
        close(second.write)
        #expect(await child.waitForExit() == .exited(code: 0))
        #expect(String(decoding: try readAll(second.read), as: UTF8.self) == "to-three\n")
        #expect(String(decoding: try readAll(first.read), as: UTF8.self) == "to-four\n")
    }

    @Test func sigtermReachesAChildEvenWhenTheParentIgnoresIt() async throws {
        // A Swift server ignores SIGTERM to handle it itself; ignored signals survive exec unless reset.
        let previous = Glibc.signal(SIGTERM, SIG_IGN)
        let child: ChildProcess
        do {
            child = try ChildProcess.spawn(executable: "/bin/sleep", arguments: ["30"], environment: [:], passingFDs: [])
        } catch {
            Glibc.signal(SIGTERM, previous)
            throw error
        }
        Glibc.signal(SIGTERM, previous)
        try child.signal(SIGTERM)
        #expect(await child.waitForExit() == .signaled(signal: SIGTERM))
    }

    @Test func terminateEscalatesToSIGKILL() async throws {
        // The shell ignores SIGTERM, and so does the sleep it becomes (an ignored signal stays ignored across exec).
        // It says when its trap is in place:
        // a fixed wait was too short for a shell starting on a loaded machine, which SIGTERM then killed.
        let ready = "/tmp/paastech-trap-\(getpid())-\(UInt32.random(in: .min ... .max))"
        defer { unlink(ready) }
        let child = try ChildProcess.spawn(
            executable: "/bin/sh", arguments: ["-c", "trap '' TERM; : > \(ready); exec sleep 20"], environment: [:], passingFDs: []
        )
        for _ in 0..<500 where access(ready, F_OK) != 0 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(access(ready, F_OK) == 0, "the shell did not start")
        let started = ContinuousClock.now
        child.terminate(after: .milliseconds(300))
        #expect(await child.waitForExit() == .signaled(signal: SIGKILL))
        let waited = ContinuousClock.now - started
        // Not before the grace period (no upper bound: a loaded machine delays the timer and the observation).
        #expect(waited >= .milliseconds(300))
    }

    @Test func terminateOfACooperativeChildNeedsNoSIGKILL() async throws {
        let child = try ChildProcess.spawn(executable: "/bin/sleep", arguments: ["30"], environment: [:], passingFDs: [])
        child.terminate(after: .seconds(10))
        #expect(await child.waitForExit() == .signaled(signal: SIGTERM))
    }

    @Test func missingExecutableIsExplained() {
        let error = #expect(throws: SystemCallError.self) {
            try ChildProcess.spawn(executable: "/nonexistent/paastech", arguments: [], environment: [:], passingFDs: [])
        }
        #expect(error?.errno == ENOENT)
        #expect(error?.description.contains("posix_spawn(/nonexistent/paastech)") == true)
        #expect(error?.description.contains("absolute path") == true)
    }

    @Test func aReapedChildIsNeverSignalled() async throws {
        let child = try ChildProcess.spawn(executable: "/bin/true", arguments: [], environment: [:], passingFDs: [])
        #expect(await child.waitForExit() == .exited(code: 0))
        // Waiting again answers from the recorded status.
        #expect(await child.waitForExit() == .exited(code: 0))
        // Its pid may already belong to another process: this must be a no-op, not a kill().
        try child.signal(SIGKILL)
    }

    @Test func terminationDescribesItself() {
        #expect(ChildProcess.Termination.exited(code: 3).description == "exited with status 3")
        #expect(ChildProcess.Termination.signaled(signal: SIGKILL).description.hasPrefix("killed by signal 9"))
        #expect(ChildProcess.Termination(waitStatus: 0x0300) == .exited(code: 3))
        #expect(ChildProcess.Termination(waitStatus: 0x0089) == .signaled(signal: 9))  // SIGKILL with core flag
    }
}
