import CSystemd
import Glibc
import Synchronization

/// A child process started with inherited sockets: the spawning primitive of the `paastech dev`
/// supervisor, which hands each daemon its listening sockets as systemd would.
///
/// Foundation's `Process` cannot place descriptors at fixed numbers, and Swift cannot run code between
/// fork and exec, so this uses `posix_spawn` with file actions: the passed fds are duplicated to 3, 4, ...
/// in the child (dup2 clears `FD_CLOEXEC` on the copies) and every other fd above 2 is closed.
/// Tell the child about its sockets with `PAASTECH_LISTEN_FDS` / `PAASTECH_LISTEN_FDNAMES` (see
/// ``SocketActivation``); leave ``SystemdEnvironment/variablesToStrip`` out of `environment`.
///
/// Signals are never sent to a reaped pid (which the kernel may have given to another process): the
/// child is reaped only under the same lock that ``signal(_:)`` takes.
public final class ChildProcess: Sendable {
    /// The child's process id.
    public let pid: pid_t
    /// Set, under the lock, when the child has been reaped.
    private let termination = Mutex<Termination?>(nil)

    private init(pid: pid_t) {
        self.pid = pid
    }

    /// Starts `executable` with the given fds at 3, 4, ... and no other inherited descriptor above 2.
    ///
    /// The child inherits stdin, stdout and stderr, starts with all signals at their default action and
    /// none blocked (a Swift server ignores or blocks SIGTERM to handle it itself; its children must not).
    /// - Parameters:
    ///   - executable: Absolute path of the program; `PATH` is not searched.
    ///   - arguments: `argv[1...]`; `argv[0]` is `executable`.
    ///   - environment: The child's whole environment.
    ///   - fds: Open descriptors to pass; `fds[i]` becomes fd `3 + i` in the child. The caller keeps its own.
    ///   - output: When given, the child's stdout, and its stderr too unless `errorOutput` is given.
    ///   - errorOutput: When given, the child's stderr.
    ///   - input: When given, the child's stdin.
    ///   - directory: When given, the child's working directory.
    /// - Returns: The running child. Reap it with ``waitForExit()`` (or ``waitForExitBlocking()`` on a
    ///   thread that may block).
    public static func spawn(
        executable: String,
        arguments: [String],
        environment: [String: String],
        passingFDs fds: [Int32],
        output: Int32? = nil,
        errorOutput: Int32? = nil,
        input: Int32? = nil,
        directory: String? = nil
    ) throws -> ChildProcess {
        let firstFree = SocketActivation.firstDescriptor + Int32(fds.count)
        // Copies above the target range first, so dup2(source, 3 + i) never overwrites another source and
        // never has source == target (which would keep FD_CLOEXEC set). Close-on-exec: exec drops them.
        var copies: [Int32] = []
        defer { copies.forEach(SystemCall.closeQuietly) }
        for fd in fds {
            copies.append(try SystemCall.retryingInterrupts("fcntl(\(fd), F_DUPFD_CLOEXEC) to pass it to \(executable)") {
                fcntl(fd, F_DUPFD_CLOEXEC, firstFree)
            })
        }

        var actions = posix_spawn_file_actions_t()
        try check(posix_spawn_file_actions_init(&actions), "posix_spawn_file_actions_init")
        defer { posix_spawn_file_actions_destroy(&actions) }
        // Standard streams first: the passed fds below may land on their numbers.
        if let input {
            try check(posix_spawn_file_actions_adddup2(&actions, input, 0), "posix_spawn_file_actions_adddup2(\(input), 0)")
        }
        if let output {
            try check(posix_spawn_file_actions_adddup2(&actions, output, 1), "posix_spawn_file_actions_adddup2(\(output), 1)")
        }
        if let errors = errorOutput ?? output {
            try check(posix_spawn_file_actions_adddup2(&actions, errors, 2), "posix_spawn_file_actions_adddup2(\(errors), 2)")
        }
        if let directory {
            try check(posix_spawn_file_actions_addchdir_np(&actions, directory), "posix_spawn_file_actions_addchdir_np(\(directory))")
        }
        for (index, copy) in copies.enumerated() {
            let target = SocketActivation.firstDescriptor + Int32(index)
            try check(posix_spawn_file_actions_adddup2(&actions, copy, target), "posix_spawn_file_actions_adddup2(\(copy), \(target))")
        }
        try check(posix_spawn_file_actions_addclosefrom_np(&actions, firstFree), "posix_spawn_file_actions_addclosefrom_np(\(firstFree))")

        var attributes = posix_spawnattr_t()
        try check(posix_spawnattr_init(&attributes), "posix_spawnattr_init")
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        try check(posix_spawnattr_setsigmask(&attributes, &noSignals), "posix_spawnattr_setsigmask")
        try check(posix_spawnattr_setsigdefault(&attributes, &allSignals), "posix_spawnattr_setsigdefault")
        try check(
            posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)),
            "posix_spawnattr_setflags"
        )

        let argv = CStringArray([executable] + arguments)
        defer { argv.free() }
        let envp = CStringArray(environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })
        defer { envp.free() }

        var pid: pid_t = 0
        var result: Int32
        repeat {
            result = posix_spawn(&pid, executable, &actions, &attributes, argv.pointers, envp.pointers)
        } while result == EINTR
        try check(result, "posix_spawn(\(executable))", hint: spawnHint)
        return ChildProcess(pid: pid)
    }

    /// Waits for the child to end and reaps it. The blocking wait runs on a thread of its own, not on the
    /// cooperative pool. Cancelling the task does not stop the wait: signal the child. Waiting again, or
    /// from several tasks, returns the same termination.
    public func waitForExit() async -> Termination {
        await withCheckedContinuation { continuation in
            do {
                try DetachedThread.start {
                    continuation.resume(returning: self.waitForExitBlocking())
                }
            } catch {
                // No thread to spare: poll instead, which needs none.
                Task { continuation.resume(returning: await self.pollForExit()) }
            }
        }
    }

    /// Sends `signal` (e.g. `SIGTERM`); does nothing once the child has been reaped.
    public func signal(_ signal: Int32) throws {
        try termination.withLock { termination in
            guard termination == nil else { return }
            try SystemCall.retryingInterrupts("kill(\(pid), \(signal))") { kill(pid, signal) }
        }
    }

    /// Sends `SIGTERM` now and `SIGKILL` after `gracePeriod` if the child has not been reaped by then.
    /// Returns at once. Meant for a graceful-shutdown handler, with ``waitForExit()`` running elsewhere.
    public func terminate(after gracePeriod: Duration) {
        // kill() on our own unreaped child can only fail for an invalid signal number.
        try? signal(SIGTERM)
        Task {
            try? await Task.sleep(for: gracePeriod)
            try? self.signal(SIGKILL)
        }
    }

    /// Like ``waitForExit()``, but blocks the calling thread: for callers already on a thread of their
    /// own (never the cooperative pool).
    public func waitForExitBlocking() -> Termination {
        // WNOWAIT: wait for the exit but leave the child a zombie, so its pid stays ours until reap(),
        // which runs under the lock that signal() takes.
        var info = siginfo_t()
        do {
            try SystemCall.retryingInterrupts("waitid(\(pid), WEXITED | WNOWAIT)") {
                waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT)
            }
        } catch {
            return termination.withLock { $0 } ?? .statusUnavailable(error)
        }
        return reap(blocking: true) ?? .statusUnavailable(SystemCallError(operation: "waitpid(\(pid))", errno: ECHILD))
    }

    private func pollForExit() async -> Termination {
        while true {
            if let ended = reap(blocking: false) { return ended }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Collects the exit status under the lock; nil when `blocking` is false and the child still runs.
    private func reap(blocking: Bool) -> Termination? {
        termination.withLock { termination in
            if let termination { return termination }  // another waiter was first
            var status: Int32 = 0
            let reaped: pid_t
            do throws(SystemCallError) {
                reaped = try SystemCall.retryingInterrupts("waitpid(\(pid))") {
                    waitpid(pid, &status, blocking ? 0 : WNOHANG)
                }
            } catch {
                termination = .statusUnavailable(error)
                return termination
            }
            guard reaped == pid else { return nil }
            termination = Termination(waitStatus: status)
            return termination
        }
    }

    /// posix_spawn functions return the error number instead of setting errno.
    private static func check(_ result: Int32, _ operation: String, hint: (Int32) -> String? = { _ in nil }) throws {
        guard result != 0 else { return }
        throw SystemCallError(operation: operation, errno: result, hint: hint(result))
    }

    private static func spawnHint(_ errno: Int32) -> String? {
        switch errno {
        case ENOENT: return "the executable does not exist; pass an absolute path"
        case EACCES: return "the executable is not executable by this user, or a directory on its path is not searchable"
        case ENOEXEC: return "the file is not a program this system can run"
        default: return nil
        }
    }
}

extension ChildProcess {
    /// How a child ended.
    public enum Termination: Sendable, Equatable, CustomStringConvertible {
        /// It called `exit(code)`.
        case exited(code: Int32)
        /// A signal killed it.
        case signaled(signal: Int32)
        /// The child is gone but its status could not be collected: something else in this process reaped
        /// it (`SIGCHLD` set to `SIG_IGN`, or a `waitpid(-1)`); the error says which call failed.
        case statusUnavailable(SystemCallError)

        /// Decodes a `waitpid` status (`WIFEXITED` and friends are C macros Swift cannot call).
        init(waitStatus status: Int32) {
            let signal = status & 0x7f
            self = signal == 0 ? .exited(code: (status >> 8) & 0xff) : .signaled(signal: signal)
        }

        public var description: String {
            switch self {
            case .exited(let code): return "exited with status \(code)"
            case .signaled(let signal): return "killed by signal \(signal) (\(String(cString: strsignal(signal))))"
            case .statusUnavailable(let error): return "ended with unknown status (\(error))"
            }
        }
    }
}

/// NUL-terminated C strings in a NULL-terminated array, as `execve` wants `argv` and `envp`.
private struct CStringArray {
    let pointers: [UnsafeMutablePointer<CChar>?]

    init(_ strings: [String]) {
        pointers = strings.map { strdup($0) } + [nil]
    }

    func free() {
        for pointer in pointers { Glibc.free(pointer) }
    }
}
