import Glibc
import Systemd
import Testing

@Suite("ProgramRun: a program run to completion with its outputs collected")
struct ProgramRunTests {
    @Test func stdinIsFedAndBothOutputsAreKeptApart() async throws {
        let run = ProgramRun("/bin/sh", ["-c", "tr a-z A-Z; echo oops >&2; pwd; exit 3"], environment: ["PATH": "/usr/bin:/bin"],
                             directory: "/usr/share", input: Array("hello\n".utf8))
        let result = try await run.run()
        #expect(result.termination == .exited(code: 3))
        #expect(result.stdoutText == "HELLO\n/usr/share\n")
        #expect(result.stderrText == "oops\n")
        #expect(!result.timedOut)
    }

    @Test func largeInputAndOutputDoNotDeadlock() throws {
        let input = Array(String(repeating: "0123456789abcdef\n", count: 65536).utf8)  // 1 MiB each way
        let result = try ProgramRun("/bin/cat", [], environment: [:], input: input).runBlocking()
        #expect(result.exitCode == 0)
        #expect(result.stdout == input)
    }

    @Test func standardInputAndOutputCanBeFilesInstead() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let source = open(directory.path + "/in", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        let target = open(directory.path + "/out", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        defer { close(source); close(target) }
        #expect(write(source, "from a file\n", 12) == 12)
        #expect(lseek(source, 0, SEEK_SET) == 0)
        let result = try ProgramRun("/bin/sh", ["-c", "tr a-z A-Z; echo done >&2"], environment: ["PATH": "/usr/bin:/bin"],
                                    inputDescriptor: source, outputDescriptor: target).runBlocking()
        #expect(result.exitCode == 0)
        #expect(result.stdout.isEmpty)
        #expect(result.stderrText == "done\n")
        var buffer = [UInt8](repeating: 0, count: 64)
        #expect(lseek(target, 0, SEEK_SET) == 0)
        let count = read(target, &buffer, buffer.count)
        #expect(String(decoding: buffer.prefix(max(count, 0)), as: UTF8.self) == "FROM A FILE\n")
    }

    @Test func aProgramThatIgnoresItsInputStillFinishes() throws {
        let result = try ProgramRun("/bin/true", [], environment: [:], input: [UInt8](repeating: 65, count: 4 << 20)).runBlocking()
        #expect(result.exitCode == 0)
    }

    @Test func theTimeLimitKills() throws {
        let started = ContinuousClock.now
        let result = try ProgramRun("/bin/sleep", ["30"], environment: [:], timeout: .milliseconds(200)).runBlocking()
        #expect(result.timedOut)
        #expect(result.termination == .signaled(signal: SIGKILL))
        #expect(ContinuousClock.now - started < .seconds(10))
    }

    @Test func theTimeLimitHoldsForAProgramThatClosedItsOutputs() throws {
        let result = try ProgramRun("/bin/sh", ["-c", "exec >&- 2>&-; exec sleep 30"], environment: ["PATH": "/usr/bin:/bin"],
                                    timeout: .milliseconds(200)).runBlocking()
        #expect(result.timedOut)
        #expect(result.termination == .signaled(signal: SIGKILL))
    }

    @Test func aBackgroundProcessHoldingTheOutputDoesNotKeepTheRunWaiting() throws {
        let started = ContinuousClock.now
        let result = try ProgramRun("/bin/sh", ["-c", "echo before; sleep 30 & echo after"], environment: ["PATH": "/usr/bin:/bin"])
            .runBlocking()
        #expect(result.exitCode == 0)
        #expect(result.stdoutText == "before\nafter\n")
        #expect(ContinuousClock.now - started < .seconds(10))
    }

    @Test func aMissingProgramIsAnErrorNamingIt() {
        #expect {
            try ProgramRun("/nonexistent/program", [], environment: [:]).runBlocking()
        } throws: { error in
            (error as? SystemCallError)?.errno == ENOENT && "\(error)".contains("/nonexistent/program")
        }
    }

    /// The reason this type exists: ssh closes inherited descriptors at start-up, which made Foundation's
    /// Process reap it with a blocking waitpid and stop reporting any other child as finished. Here the
    /// closer waits on a FIFO that is opened only after five other runs finished: if they waited for it, the
    /// test would hang and hit its time limit.
    @Test(.timeLimit(.minutes(1)))
    func aProgramThatClosesItsDescriptorsDoesNotHoldUpOthers() async throws {
        let fifo = "/tmp/paastech-fifo-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        #expect(mkfifo(fifo, 0o600) == 0)
        defer { unlink(fifo) }
        let closer = Task {
            try await ProgramRun("/usr/bin/python3", ["-c", "import os, sys; os.closerange(3, 1024); open(sys.argv[1]).read()", fifo],
                                 environment: [:]).run()
        }
        for _ in 0..<5 {
            #expect(try await ProgramRun("/bin/true", [], environment: [:]).run().exitCode == 0)
        }
        let writer = open(fifo, O_WRONLY | O_CLOEXEC)  // blocks until the closer has opened it for reading
        close(writer)
        #expect(try await closer.value.exitCode == 0)
    }
}
