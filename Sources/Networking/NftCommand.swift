import Glibc
import Systemd

/// Runs nft with an argv (never a shell) and a script on its standard input.
///
/// posix_spawn and waitpid directly: Foundation's `Process.waitUntilExit` polls a run loop and adds up to
/// 50 ms to a command that itself takes 2 ms.
struct NftCommand {
    /// Absolute path of nft; `PATH` is not searched.
    let executable: String

    /// Runs `executable -f -` with `script` on its standard input and waits for it.
    /// - Returns: What nft printed on stdout and stderr.
    /// - Throws: ``FirewallError`` when nft cannot be started or exits with a non-zero status.
    @discardableResult
    func run(script: String, operation: String) throws(FirewallError) -> String {
        let result: (status: Int32?, output: String)
        do throws(SystemCallError) {
            result = try spawnAndWait(arguments: ["-f", "-"], input: Array(script.utf8))
        } catch {
            throw FirewallError(operation: operation, exitStatus: nil, systemCallError: error)
        }
        guard result.status == 0 else {
            throw FirewallError(operation: operation, exitStatus: result.status, output: result.output)
        }
        return result.output
    }

    private func spawnAndWait(arguments: [String], input: [UInt8]) throws(SystemCallError) -> (status: Int32?, output: String) {
        // Socket pairs rather than pipes: created close-on-exec atomically (Swift's Glibc has no pipe2), so
        // a process spawned by another thread meanwhile cannot inherit an end and hold the output open; and
        // writing to an nft that has already died fails with EPIPE (MSG_NOSIGNAL) instead of SIGPIPE.
        var inputPair = try Self.socketPair("nft's standard input")
        defer { inputPair.forEach { if $0 >= 0 { SystemCall.closeQuietly($0) } } }
        var outputPair = try Self.socketPair("nft's output")
        defer { outputPair.forEach { if $0 >= 0 { SystemCall.closeQuietly($0) } } }

        let pid = try spawn(arguments: arguments, standardInput: inputPair[1], output: outputPair[1])
        // Only the child holds these ends now, so end of file arrives when it exits.
        SystemCall.closeQuietly(inputPair[1])
        inputPair[1] = -1
        SystemCall.closeQuietly(outputPair[1])
        outputPair[1] = -1

        var writeError: SystemCallError?
        do throws(SystemCallError) {
            try sendAll(input, to: inputPair[0])
            try SystemCall.retryingInterrupts("shutdown(nft's standard input)") { shutdown(inputPair[0], Int32(SHUT_WR)) }
        } catch {
            writeError = error  // nft died early; its exit status and output say why
        }
        let output = readAll(outputPair[0])
        let status = try waitForExit(pid)
        if status == 0, let writeError { throw writeError }
        return (status, output)
    }

    private func spawn(arguments: [String], standardInput: Int32, output: Int32) throws(SystemCallError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        try check(posix_spawn_file_actions_init(&actions), "posix_spawn_file_actions_init")
        defer { posix_spawn_file_actions_destroy(&actions) }
        try check(posix_spawn_file_actions_adddup2(&actions, standardInput, 0), "posix_spawn_file_actions_adddup2(stdin)")
        try check(posix_spawn_file_actions_adddup2(&actions, output, 1), "posix_spawn_file_actions_adddup2(stdout)")
        try check(posix_spawn_file_actions_adddup2(&actions, output, 2), "posix_spawn_file_actions_adddup2(stderr)")
        // Descriptors another part of the process opened without close-on-exec must not leak into nft.
        if let addCloseFrom = GNUFunctions.posixSpawnFileActionsAddCloseFrom {
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
        try check(posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)), "posix_spawnattr_setflags")

        let argv = Self.cStrings([executable] + arguments)
        defer { argv.forEach { free($0) } }
        // A fixed, minimal environment: nft needs none, and pomegranate's must not leak into it.
        let environment = Self.cStrings(["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"])
        defer { environment.forEach { free($0) } }

        var pid: pid_t = 0
        var result: Int32
        repeat {
            result = posix_spawn(&pid, executable, &actions, &attributes, argv, environment)
        } while result == EINTR
        try check(result, "posix_spawn(\(executable))", hint: result == ENOENT ? "install nftables (apt install nftables)" : nil)
        return pid
    }

    /// A connected, close-on-exec AF_UNIX stream socket pair.
    private static func socketPair(_ purpose: String) throws(SystemCallError) -> [Int32] {
        var pair: [Int32] = [-1, -1]
        try SystemCall.retryingInterrupts("socketpair(AF_UNIX) for \(purpose)") {
            socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair)
        }
        return pair
    }

    /// NUL-terminated copies in a NULL-terminated array, as posix_spawn wants argv and envp. Free each.
    private static func cStrings(_ strings: [String]) -> [UnsafeMutablePointer<CChar>?] {
        strings.map { strdup($0) } + [nil]
    }

    private func sendAll(_ bytes: [UInt8], to fd: Int32) throws(SystemCallError) {
        var sent = 0
        while sent < bytes.count {
            // safe: the buffer is not empty while sent < count, so it has a base address.
            sent += try SystemCall.retryingInterrupts("send(nft's standard input)") {
                bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            }
        }
    }

    /// Reads until end of file; a read error ends the output early (the exit status still tells).
    private func readAll(_ fd: Int32) -> String {
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                output += buffer[0..<count]
            } else if count == 0 || errno != EINTR {
                return String(decoding: output, as: UTF8.self)
            }
        }
    }

    /// Waits for and reaps `pid`. Returns its exit status, or nil if a signal killed it.
    private func waitForExit(_ pid: pid_t) throws(SystemCallError) -> Int32? {
        var status: Int32 = 0
        try SystemCall.retryingInterrupts("waitpid(\(pid)) for nft", hint: { errno in
            errno == ECHILD ? "something else in this process reaped nft (SIGCHLD ignored, or waitpid(-1))" : nil
        }) {
            waitpid(pid, &status, 0)
        }
        // WIFEXITED/WEXITSTATUS are C macros Swift cannot call.
        return status & 0x7f == 0 ? (status >> 8) & 0xff : nil
    }

    /// posix_spawn functions return the error number instead of setting errno.
    private func check(_ result: Int32, _ operation: String, hint: String? = nil) throws(SystemCallError) {
        guard result != 0 else { return }
        throw SystemCallError(operation: operation, errno: result, hint: hint)
    }
}
