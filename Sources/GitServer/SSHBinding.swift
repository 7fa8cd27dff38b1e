import CSSH

/// libssh's server object (`ssh_bind`) with the host keys loaded. It never listens itself: connections are
/// accepted on the activated socket and handed over with `ssh_bind_accept_fd`.
///
/// `@unchecked Sendable`: after `init` it is only used by the acceptor thread, one call at a time.
final class SSHBinding: @unchecked Sendable {
    let bind: OpaquePointer

    /// - Parameters:
    ///   - hostKeyPaths: The private host key files.
    ///   - logVerbosity: libssh's own log level (0: nothing), for debugging with `SSH_LOG_*`.
    init(hostKeyPaths: [String], logVerbosity: Int32 = 0) throws {
        guard LibSSH.initialised, let bind = ssh_bind_new() else {
            throw GitServerError(operation: "initialise libssh", reason: "ssh_init or ssh_bind_new failed")
        }
        self.bind = bind
        // Never read /etc/ssh/libssh_server_config: everything the server does is decided here.
        try withUnsafePointer(to: false) { try set(SSH_BIND_OPTIONS_PROCESS_CONFIG, $0, "turn off reading libssh_server_config") }
        try withUnsafePointer(to: logVerbosity) { try set(SSH_BIND_OPTIONS_LOG_VERBOSITY, $0, "set the log verbosity") }
        try "paastech".withCString { try set(SSH_BIND_OPTIONS_BANNER, $0, "set the version banner") }
        for path in hostKeyPaths {
            try path.withCString { try set(SSH_BIND_OPTIONS_HOSTKEY, $0, "load the host key \(path)") }
        }
    }

    deinit {
        ssh_bind_free(bind)
    }

    /// Hands an accepted connection to a new libssh session.
    /// - Returns: The session, which owns `fd` from now on; nil (and `fd` closed) when libssh refused it.
    func session(for fd: Int32) -> (session: OpaquePointer?, error: String?) {
        guard let session = ssh_new() else {
            close(fd)
            return (nil, "ssh_new failed (out of memory?)")
        }
        guard ssh_bind_accept_fd(bind, session, fd) == SSH_OK else {
            let error = LibSSH.lastError(bind)
            // libssh owns the fd only if it got as far as attaching it to the session.
            let owned = ssh_get_fd(session) == fd
            ssh_free(session)
            if !owned { close(fd) }
            return (nil, error)
        }
        return (session, nil)
    }

    private func set<Value>(_ option: ssh_bind_options_e, _ value: UnsafePointer<Value>, _ what: String) throws(GitServerError) {
        guard ssh_bind_options_set(bind, option, value) == SSH_OK else {
            throw GitServerError(operation: what, reason: LibSSH.lastError(bind))
        }
    }
}
