import Glibc

/// Adopts listening sockets that a parent opened for this process, as `sd_listen_fds_with_names(1, ...)` does.
///
/// Two parents are supported:
/// - systemd (`*.socket` units): fds 3..3+n-1, `LISTEN_FDS=n`, `LISTEN_FDNAMES=a:b` and `LISTEN_PID=<our pid>`.
///   The variables count only when `LISTEN_PID` is this process: otherwise they were inherited and meant
///   for an ancestor.
/// - `paastech dev`, which binds the sockets itself (``ListeningSocket``) and starts each daemon with
///   ``ChildProcess/spawn(executable:arguments:environment:passingFDs:)``. A parent that spawns with
///   `posix_spawn` cannot know the child's pid before it exists, so it cannot set `LISTEN_PID`; it sets
///   `PAASTECH_LISTEN_FDS=n` and `PAASTECH_LISTEN_FDNAMES=a:b` instead, read exactly like `LISTEN_FDS` and
///   `LISTEN_FDNAMES` without the pid check.
///
/// A parent hands over n sockets like this: the sockets at fds 3, 4, ..., 3+n-1 in the child without
/// `FD_CLOEXEC` (``ChildProcess`` does both), the count in `LISTEN_FDS` / `PAASTECH_LISTEN_FDS`, one name per
/// fd joined by `:` in the names variable, and for systemd's variables `LISTEN_PID` = the child's pid.
public enum SocketActivation {
    /// The first passed descriptor (`SD_LISTEN_FDS_START`).
    public static let firstDescriptor: Int32 = 3
    /// The name of a socket whose parent gave none.
    public static let unnamed = "unknown"

    static let processIDVariable = "LISTEN_PID"
    static let countVariable = "LISTEN_FDS"
    static let namesVariable = "LISTEN_FDNAMES"
    static let paastechCountVariable = "PAASTECH_LISTEN_FDS"
    static let paastechNamesVariable = "PAASTECH_LISTEN_FDNAMES"
    static let variables = [
        processIDVariable, countVariable, namesVariable, paastechCountVariable, paastechNamesVariable,
    ]

    /// Takes the sockets passed to this process: parses the variables of the process environment, marks
    /// each fd close-on-exec (so they do not leak into children) and removes the variables, as
    /// `sd_listen_fds(1)` does, also when they are invalid. Call it once, early in `main`.
    /// - Returns: The sockets in fd order; empty when the process was not socket-activated.
    public static func takeListeners() throws -> [ActivatedSocket] {
        var environment: [String: String] = [:]
        for name in variables {
            if let value = getenv(name) { environment[name] = String(cString: value) }
        }
        defer {
            for name in variables { unsetenv(name) }
        }
        let (sockets, countVariable) = try parse(environment: environment, processID: getpid())
        for socket in sockets {
            do {
                try SystemCall.setCloseOnExec(socket.fd, true)
            } catch {
                throw SocketActivationError.descriptorNotOpen(fd: socket.fd, countVariable: countVariable, errno: error.errno)
            }
        }
        return sockets
    }

    /// Parses socket-activation variables without touching descriptors or the process environment.
    /// - Parameters:
    ///   - environment: The variables, e.g. `["LISTEN_PID": "42", "LISTEN_FDS": "2", "LISTEN_FDNAMES": "http:admin"]`.
    ///   - processID: The pid that `LISTEN_PID` must equal.
    /// - Returns: The announced sockets; empty when none are meant for `processID`.
    public static func listeners(in environment: [String: String], processID: pid_t) throws -> [ActivatedSocket] {
        try parse(environment: environment, processID: processID).sockets
    }

    private static func parse(
        environment: [String: String],
        processID: pid_t
    ) throws -> (sockets: [ActivatedSocket], countVariable: String) {
        if let pidText = environment[processIDVariable] {
            guard let pid = pid_t(pidText), pid > 0 else {
                throw SocketActivationError.invalidProcessID(variable: processIDVariable, value: pidText)
            }
            if pid == processID, let countText = environment[countVariable] {
                let sockets = try sockets(
                    countText: countText, countVariable: countVariable,
                    namesText: environment[namesVariable], namesVariable: namesVariable
                )
                return (sockets, countVariable)
            }
        }
        if let countText = environment[paastechCountVariable] {
            let sockets = try sockets(
                countText: countText, countVariable: paastechCountVariable,
                namesText: environment[paastechNamesVariable], namesVariable: paastechNamesVariable
            )
            return (sockets, paastechCountVariable)
        }
        return ([], countVariable)
    }

    private static func sockets(
        countText: String,
        countVariable: String,
        namesText: String?,
        namesVariable: String
    ) throws -> [ActivatedSocket] {
        guard let count = Int32(countText), count >= 0, count <= Int32.max - firstDescriptor else {
            throw SocketActivationError.invalidDescriptorCount(variable: countVariable, value: countText)
        }
        var names: [String] = []
        if let namesText, !namesText.isEmpty {
            names = namesText.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        }
        guard names.count <= Int(count) else {
            throw SocketActivationError.tooManyNames(variable: namesVariable, names: names.count, descriptors: Int(count))
        }
        return (0..<count).map { index in
            let name = Int(index) < names.count ? names[Int(index)] : ""
            return ActivatedSocket(fd: firstDescriptor + index, name: name.isEmpty ? unnamed : name)
        }
    }
}
