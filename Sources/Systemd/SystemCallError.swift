import Glibc

/// A system call (or libsystemd call) that failed: what was attempted, the errno, and how to fix it when known.
public struct SystemCallError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What was attempted, e.g. `bind(127.0.0.1:8080)`.
    public let operation: String
    /// The errno the call reported (positive).
    public let errno: Int32
    /// How to fix the problem, when the errno makes it clear.
    public let hint: String?

    /// - Parameters:
    ///   - operation: What was attempted, with the arguments that identify it.
    ///   - errno: The positive errno value.
    ///   - hint: How to fix it, if known.
    public init(operation: String, errno: Int32, hint: String? = nil) {
        self.operation = operation
        self.errno = errno
        self.hint = hint
    }

    public var description: String {
        var text = "\(operation) failed: \(String(cString: strerror(errno))) (errno \(errno))"
        if let hint { text += "; \(hint)" }
        return text
    }
}

/// The one place that calls into libc: retries `EINTR` and turns `-1` into a `SystemCallError`.
/// Public so every platform library (Cgroups, Networking, ...) shares it and extends it with its own calls.
public enum SystemCall {
    /// Runs `call` until it does not fail with `EINTR`; a result of `-1` throws with the current errno.
    @discardableResult
    public static func retryingInterrupts<Result: BinaryInteger>(
        _ operation: @autoclosure () -> String,
        hint: (Int32) -> String? = { _ in nil },
        _ call: () -> Result
    ) throws(SystemCallError) -> Result {
        while true {
            let result = call()
            if result != -1 { return result }
            let error = Glibc.errno
            if error == EINTR { continue }
            throw SystemCallError(operation: operation(), errno: error, hint: hint(error))
        }
    }

    /// Checks a libsystemd result, which reports failure as a negative errno instead of setting `errno`.
    @discardableResult
    static func checkingNegativeErrno(
        _ operation: @autoclosure () -> String,
        _ result: Int32
    ) throws(SystemCallError) -> Int32 {
        guard result < 0 else { return result }
        throw SystemCallError(operation: operation(), errno: -result)
    }

    /// `SOCK_CLOEXEC`, for accept4 and socket calls in modules whose C headers hide Glibc's `SOCK_*` names.
    public static let socketCloseOnExec = Int32(SOCK_CLOEXEC.rawValue)

    /// A connected AF_UNIX stream socket pair, close-on-exec from the start (Swift's Glibc has no pipe2): a
    /// program another thread spawns meanwhile cannot inherit an end. Here, once, because some modules'
    /// C headers hide Glibc's `SOCK_*` names in optimised builds.
    public static func socketPair(_ purpose: @autoclosure () -> String) throws(SystemCallError) -> [Int32] {
        var pair: [Int32] = [-1, -1]
        try retryingInterrupts("socketpair(AF_UNIX) for \(purpose())") {
            socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair)
        }
        return pair
    }

    /// Marks `fd` close-on-exec, or clears the flag, keeping its other descriptor flags.
    static func setCloseOnExec(_ fd: Int32, _ enabled: Bool) throws(SystemCallError) {
        let flags = try retryingInterrupts("fcntl(\(fd), F_GETFD)") { fcntl(fd, F_GETFD) }
        let wanted = enabled ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC
        guard wanted != flags else { return }
        try retryingInterrupts("fcntl(\(fd), F_SETFD)") { fcntl(fd, F_SETFD, wanted) }
    }

    /// Closes `fd`, ignoring errors: used on error paths, where the first error is the one worth reporting.
    /// No EINTR retry: on Linux the descriptor is released even when close reports EINTR.
    public static func closeQuietly(_ fd: Int32) {
        _ = Glibc.close(fd)
    }
}
