import CSystemd
import Glibc

/// Runs a program to completion with an argv array (never a shell), its standard input given as bytes and
/// its stdout and stderr collected separately, with an optional time limit.
///
/// Why not Foundation's `Process`: on Linux it learns that a child ended when a socket it passes to the
/// child closes, then reaps that child with a *blocking* `waitpid` on its one monitor thread. A program
/// that closes its inherited descriptors at start-up (OpenSSH's `ssh` does) looks ended at once, the
/// monitor blocks in `waitpid` until it really ends, and meanwhile no other `Process` of the whole program
/// is ever reported finished. Here each run waits on a thread of its own.
public struct ProgramRun: Sendable {
    /// Absolute path of the program; `PATH` is not searched.
    public var executable: String
    /// `argv[1...]`.
    public var arguments: [String]
    /// The child's whole environment.
    public var environment: [String: String]
    /// The child's working directory, or this process's.
    public var directory: String?
    /// Written to the child's stdin, which is then closed; the child reads end-of-file after it.
    public var input: [UInt8]
    /// The child is killed with SIGKILL after this long; nil waits for ever.
    public var timeout: Duration?
    /// When set, the child's stdin is this open descriptor (a file, say) instead of ``input``.
    public var inputDescriptor: Int32?
    /// When set, the child's stdout is this open descriptor instead of being collected: for output too large
    /// to hold in memory, written straight to a file. ``Result/stdout`` is then empty.
    public var outputDescriptor: Int32?

    public init(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String],
        directory: String? = nil,
        input: [UInt8] = [],
        timeout: Duration? = nil,
        inputDescriptor: Int32? = nil,
        outputDescriptor: Int32? = nil
    ) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.directory = directory
        self.input = input
        self.timeout = timeout
        self.inputDescriptor = inputDescriptor
        self.outputDescriptor = outputDescriptor
    }

    /// What a finished run left.
    public struct Result: Sendable, CustomStringConvertible {
        public var termination: ChildProcess.Termination
        public var stdout: [UInt8]
        public var stderr: [UInt8]
        /// The time limit ran out and the child was killed.
        public var timedOut: Bool

        /// The exit code, or nil when a signal ended it.
        public var exitCode: Int32? {
            if case .exited(let code) = termination { return code }
            return nil
        }

        public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
        public var stderrText: String { String(decoding: stderr, as: UTF8.self) }

        public var description: String {
            "\(termination)\(timedOut ? " (timed out)" : "")\nstdout: \(stdoutText)\nstderr: \(stderrText)"
        }
    }

    /// Runs the program on a thread of its own (never the cooperative pool) and returns when it has ended.
    /// Its output is what it wrote before it ended; a background process it left behind holding its
    /// stdout or stderr does not keep the run waiting.
    public func run() async throws(SystemCallError) -> Result {
        let outcome: Swift.Result<Result, SystemCallError> = await withCheckedContinuation { continuation in
            do {
                try DetachedThread.start {
                    do throws(SystemCallError) {
                        continuation.resume(returning: .success(try runBlocking()))
                    } catch {
                        continuation.resume(returning: .failure(error))
                    }
                }
            } catch {
                continuation.resume(returning: .failure(
                    error as? SystemCallError ?? SystemCallError(operation: "starting a thread to run \(executable)", errno: EAGAIN)))
            }
        }
        return try outcome.get()
    }

    /// Like ``run()`` but on the calling thread, which must be allowed to block.
    public func runBlocking() throws(SystemCallError) -> Result {
        // Socket pairs rather than pipes: close-on-exec from the start (Swift's Glibc has no pipe2), so a
        // program spawned meanwhile by another thread cannot inherit an end and hold an output open; and
        // writing to a child that already died fails with EPIPE (MSG_NOSIGNAL) instead of SIGPIPE.
        let streams = try Self.socketPairs(3)
        var ours = streams.map { $0[0] }
        var theirs = streams.map { $0[1] }
        defer { (ours + theirs).filter { $0 >= 0 }.forEach(SystemCall.closeQuietly) }

        let child: ChildProcess
        do {
            child = try ChildProcess.spawn(
                executable: executable, arguments: arguments, environment: environment, passingFDs: [],
                output: outputDescriptor ?? theirs[1], errorOutput: theirs[2], input: inputDescriptor ?? theirs[0], directory: directory)
        } catch let error as SystemCallError {
            throw error
        } catch {
            throw SystemCallError(operation: "posix_spawn(\(executable))", errno: EIO, hint: "\(error)")
        }
        theirs.forEach(SystemCall.closeQuietly)
        theirs = [-1, -1, -1]
        // Streams the child does not have: nothing to feed or collect on our ends.
        for (index, given) in [inputDescriptor, outputDescriptor].enumerated() where given != nil {
            SystemCall.closeQuietly(ours[index])
            ours[index] = -1
        }
        // Readable once the child has exited (it stays a zombie, so the pid cannot be reused meanwhile).
        let exited = csystemd_pidfd_open(child.pid)
        guard exited >= 0 else {
            let error = SystemCallError(operation: "pidfd_open(\(child.pid))", errno: errno, hint: "Linux 5.3 or later is needed")
            try? child.signal(SIGKILL)
            _ = child.waitForExitBlocking()
            throw error
        }
        defer { SystemCall.closeQuietly(exited) }

        var collected = Collection(input: input)
        let deadline = timeout.map { ContinuousClock.now + $0 }
        var timedOut = false
        var childEnded = false
        while !collected.finished(ours) {
            var wait: Int32 = -1
            if childEnded {
                wait = 0  // take what is already buffered, then stop
            } else if let deadline {
                let left = deadline - ContinuousClock.now
                if left <= .zero {
                    timedOut = true
                    try? child.signal(SIGKILL)
                    wait = 100
                } else {
                    wait = Int32(min(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1, 60_000))
                }
            }
            let progressed = collected.step(&ours, exited: exited, waitMilliseconds: wait)
            if childEnded && !progressed { break }
            childEnded = collected.exitSeen
        }
        // Both outputs closed but the child goes on (it closed them itself): the time limit still holds.
        if let deadline, !collected.exitSeen, !timedOut {
            var entry = pollfd(fd: exited, events: Int16(POLLIN), revents: 0)
            while entry.revents == 0 {
                let left = deadline - ContinuousClock.now
                guard left > .zero else {
                    timedOut = true
                    try? child.signal(SIGKILL)
                    break
                }
                _ = poll(&entry, 1, Int32(min(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1, 60_000)))
            }
        }
        return Result(termination: child.waitForExitBlocking(), stdout: collected.stdout, stderr: collected.stderr, timedOut: timedOut)
    }

    /// Feeds stdin and drains stdout and stderr with poll(2), so that no pipe fills up and stalls the child.
    private struct Collection {
        var input: [UInt8]
        var sent = 0
        var stdout: [UInt8] = []
        var stderr: [UInt8] = []
        /// The child's pidfd was readable.
        var exitSeen = false

        init(input: [UInt8]) { self.input = input }

        /// Both outputs have reached end-of-file (stdin, once fully written, is closed in ``step``).
        func finished(_ fds: [Int32]) -> Bool { fds[1] < 0 && fds[2] < 0 }

        /// Waits up to `waitMilliseconds` for something to do and does it.
        /// - Returns: Whether any stream was ready.
        mutating func step(_ fds: inout [Int32], exited: Int32, waitMilliseconds: Int32) -> Bool {
            if fds[0] >= 0 && sent == input.count { close(&fds[0]) }
            var entries = [
                pollfd(fd: fds[0], events: Int16(POLLOUT), revents: 0),
                pollfd(fd: fds[1], events: Int16(POLLIN), revents: 0),
                pollfd(fd: fds[2], events: Int16(POLLIN), revents: 0),
                pollfd(fd: exitSeen ? -1 : exited, events: Int16(POLLIN), revents: 0),
            ]
            let ready = poll(&entries, nfds_t(entries.count), waitMilliseconds)
            guard ready > 0 else { return false }  // timeout or EINTR: the caller checks the deadline
            if entries[3].revents != 0 { exitSeen = true }
            if entries[0].revents != 0 {
                let count = input.withUnsafeBytes {
                    Glibc.send(fds[0], $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
                }
                if count > 0 {
                    sent += count
                } else if count < 0 && errno != EINTR && errno != EAGAIN {
                    sent = input.count  // the child stopped reading (EPIPE): its status says why
                }
            }
            for index in 1...2 where entries[index].revents != 0 {
                var buffer = [UInt8](repeating: 0, count: 65536)
                let count = buffer.withUnsafeMutableBytes { Glibc.recv(fds[index], $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
                if count > 0 {
                    if index == 1 { stdout += buffer[0..<count] } else { stderr += buffer[0..<count] }
                } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                    close(&fds[index])
                }
            }
            return entries[0...2].contains { $0.revents != 0 }
        }

        private func close(_ fd: inout Int32) {
            SystemCall.closeQuietly(fd)
            fd = -1
        }
    }

    /// Connected, close-on-exec AF_UNIX stream socket pairs: [ours, the child's].
    private static func socketPairs(_ count: Int) throws(SystemCallError) -> [[Int32]] {
        var pairs: [[Int32]] = []
        do throws(SystemCallError) {
            for _ in 0..<count {
                pairs.append(try SystemCall.socketPair("a child's standard streams"))
            }
        } catch {
            pairs.joined().forEach(SystemCall.closeQuietly)
            throw error
        }
        return pairs
    }
}
