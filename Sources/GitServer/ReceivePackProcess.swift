import Glibc
import Systemd

/// `git receive-pack` running for one push, with its three standard streams connected to us: we write the
/// client's bytes to its stdin and read its stdout and stderr separately (stderr becomes SSH extended data).
///
/// Systemd's `ChildProcess` sends stdout and stderr to one descriptor, which would mix error text into the
/// git protocol stream; this is the same `posix_spawn` recipe with three separate streams. The child leads
/// a process group of its own so that a limit can kill receive-pack together with index-pack and the hooks.
/// Only the connection thread that started it uses it.
final class ReceivePackProcess {
    /// How the process ended.
    enum Exit: Equatable, CustomStringConvertible {
        case exited(Int32)
        case signaled(Int32)

        /// The SSH exit status: the code, or 128 + the signal as shells report it.
        var status: UInt32 { switch self { case .exited(let code): UInt32(code); case .signaled(let signal): 128 + UInt32(signal) } }

        var description: String {
            switch self {
            case .exited(let code): "exited with status \(code)"
            case .signaled(let signal): "killed by signal \(signal)"
            }
        }
    }

    let pid: pid_t
    /// Our end of its stdin. All three streams are socket pairs rather than pipes: they are created
    /// close-on-exec atomically, and writing after it exited fails with EPIPE instead of raising SIGPIPE in
    /// the server (`send` with `MSG_NOSIGNAL`). Non-blocking; -1 once closed.
    private(set) var stdin: Int32
    /// Our ends of its stdout and stderr (non-blocking).
    let stdout: Int32
    let stderr: Int32
    private(set) var exit: Exit?

    private init(pid: pid_t, stdin: Int32, stdout: Int32, stderr: Int32) {
        self.pid = pid
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
    }

    deinit {
        closeStdin()
        SystemCall.closeQuietly(stdout)
        SystemCall.closeQuietly(stderr)
        if exit == nil {
            // Never leave a zombie: the connection ends only after the process was killed or exited.
            kill(-pid, SIGKILL)
            _ = waitBlocking()
        }
    }

    /// Starts `executable arguments` with exactly `environment`.
    static func start(executable: String, arguments: [String], environment: [String: String]) throws -> ReceivePackProcess {
        // One socket pair per stream: [0] is ours, [1] becomes the child's 0, 1 or 2.
        var pairs: [[Int32]] = []
        // The child has its own copies of [1]; ours go in any case.
        defer { pairs.forEach { SystemCall.closeQuietly($0[1]) } }
        do {
            for name in ["stdin", "stdout", "stderr"] {
                pairs.append(try SystemCall.socketPair("the \(name) of \(executable)"))
            }
            for fd in pairs.map({ $0[0] }) {
                let flags = try SystemCall.retryingInterrupts("fcntl(\(fd), F_GETFL)") { fcntl(fd, F_GETFL) }
                try SystemCall.retryingInterrupts("fcntl(\(fd), F_SETFL, O_NONBLOCK)") { fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
            }
            let pid = try spawn(executable, arguments, environment, stdin: pairs[0][1], stdout: pairs[1][1], stderr: pairs[2][1])
            return ReceivePackProcess(pid: pid, stdin: pairs[0][0], stdout: pairs[1][0], stderr: pairs[2][0])
        } catch {
            pairs.forEach { SystemCall.closeQuietly($0[0]) }
            throw error
        }
    }

    /// Closes its stdin, so that it reads end-of-file.
    func closeStdin() {
        guard stdin >= 0 else { return }
        SystemCall.closeQuietly(stdin)
        stdin = -1
    }

    /// Collects the exit status if the process has ended; never blocks.
    @discardableResult
    func pollExit() -> Exit? {
        if exit == nil { reap(options: WNOHANG) }
        return exit
    }

    /// Kills the process and everything it started (its process group), then reaps it.
    func killAll() {
        if exit == nil { kill(-pid, SIGKILL) }
        _ = waitBlocking()
    }

    /// Blocks until the process has ended.
    func waitBlocking() -> Exit? {
        if exit == nil { reap(options: 0) }
        return exit
    }

    private func reap(options: Int32) {
        var status: Int32 = 0
        guard let reaped = try? SystemCall.retryingInterrupts("waitpid(\(pid))", { waitpid(pid, &status, options) }), reaped == pid else {
            return
        }
        let signal = status & 0x7f
        exit = signal == 0 ? .exited((status >> 8) & 0xff) : .signaled(signal)
    }

    private static func spawn(
        _ executable: String, _ arguments: [String], _ environment: [String: String],
        stdin: Int32, stdout: Int32, stderr: Int32
    ) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        try check(posix_spawn_file_actions_init(&actions), "posix_spawn_file_actions_init")
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (fd, target) in [(stdin, Int32(0)), (stdout, 1), (stderr, 2)] {
            try check(posix_spawn_file_actions_adddup2(&actions, fd, target), "posix_spawn_file_actions_adddup2(\(fd), \(target))")
        }
        // Every descriptor of ours is close-on-exec already; closefrom also covers one a library forgot.
        if let addCloseFrom = GNUFunctions.addCloseFrom {
            try check(addCloseFrom(&actions, 3), "posix_spawn_file_actions_addclosefrom_np(3)")
        }

        var attributes = posix_spawnattr_t()
        try check(posix_spawnattr_init(&attributes), "posix_spawnattr_init")
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        try check(posix_spawnattr_setsigmask(&attributes, &noSignals), "posix_spawnattr_setsigmask")
        try check(posix_spawnattr_setsigdefault(&attributes, &allSignals), "posix_spawnattr_setsigdefault")
        try check(posix_spawnattr_setpgroup(&attributes, 0), "posix_spawnattr_setpgroup")
        try check(posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP)),
                  "posix_spawnattr_setflags")

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let envp = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { envp.forEach { free($0) } }
        var pid: pid_t = 0
        var result: Int32
        repeat {
            result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        } while result == EINTR
        try check(result, "posix_spawn(\(executable))")
        return pid
    }

    /// posix_spawn functions return the error number instead of setting errno.
    private static func check(_ result: Int32, _ operation: String) throws {
        guard result != 0 else { return }
        throw SystemCallError(operation: operation, errno: result)
    }
}
