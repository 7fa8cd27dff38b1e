import CSSH
import Glibc
import InternalAPIClient
import Logging

/// One SSH connection, driven by libssh on a thread of its own from key exchange to close.
///
/// Why libssh's server callbacks with an `ssh_event` loop rather than the `ssh_message_get` API: with
/// callbacks each request type we allow has its own answer and everything else gets libssh's default
/// refusal at any time, also while a push runs (with `ssh_message_get` the data loop would have to keep
/// fetching and answering messages itself, or requests would wait unanswered in libssh's queue); and the
/// same event loop wakes up for receive-pack's streams, so one thread moves both directions of a push
/// without blocking on either. All channel I/O happens between polls (``pump(_:)``), never inside a
/// callback, so writes are never re-entered and bytes keep their order.
///
/// `@unchecked Sendable`: the acceptor creates it and hands it to the connection's own thread, the only
/// one that touches it afterwards (libssh calls the callbacks on that thread, from `ssh_event_dopoll`).
final class GitSSHConnection: @unchecked Sendable {
    enum Phase {
        /// Until a command is requested: login grace applies.
        case authenticating
        /// receive-pack runs (``push``).
        case pushing
        /// The exit status was sent and the channel closed: waiting (a little) for the client to hang up,
        /// so that it ends cleanly instead of seeing the connection cut.
        case finishing(until: ContinuousClock.Instant)
        case done
    }

    /// A command request on the session channel.
    enum CommandRequest {
        case exec(String)
        case shell
        case subsystem(String)
    }

    static let pollMilliseconds: Int32 = 100
    static let hangUpGrace: Duration = .seconds(5)

    let session: OpaquePointer
    let settings: ConnectionSettings
    let startedAt = ContinuousClock.now
    let loginDeadline: ContinuousClock.Instant
    let sessionDeadline: ContinuousClock.Instant

    var phase = Phase.authenticating
    /// The running receive-pack and the bytes in flight; kept until the connection ends.
    var push: PushSession?
    var report: ConnectionReport

    // Authentication.
    var authenticationAttempts = 0
    /// Owners of the keys offered so far, by fingerprint (nil: unknown key), so the signed request that
    /// follows a probe neither asks the API again nor counts as another attempt.
    var keyOwners: [String: InternalAPIClient.KeyOwner?] = [:]
    var owner: InternalAPIClient.KeyOwner?

    // The session channel (one per connection; git needs no more).
    var channel: OpaquePointer?
    var channelClosedByClient = false
    var gitProtocol: String?
    /// A forwarding or environment request made before the command: the command is refused with it.
    var earlyRefusal: Refusal?
    /// To tell the client on the channel (stderr line, exit status 1), then close.
    var pendingRefusal: Refusal?
    /// To end the whole connection with (SSH disconnect message).
    var pendingDisconnect: Refusal?

    var event: OpaquePointer?
    // libssh keeps pointers to these structs: they live as long as the connection.
    let serverCallbacks = UnsafeMutablePointer<ssh_server_callbacks_struct>.allocate(capacity: 1)
    let channelCallbacks = UnsafeMutablePointer<ssh_channel_callbacks_struct>.allocate(capacity: 1)

    /// - Parameters:
    ///   - session: A session from ``SSHBinding/session(for:)``; the connection frees it.
    ///   - peer: The client's address, for the log.
    ///   - settings: Limits and collaborators.
    init(session: OpaquePointer, peer: String, settings: ConnectionSettings) {
        self.session = session
        self.settings = settings
        report = ConnectionReport(peer: peer)
        loginDeadline = startedAt + .seconds(settings.limits.loginGraceSeconds)
        sessionDeadline = startedAt + .seconds(settings.limits.maxSessionSeconds)
        serverCallbacks.initialize(to: ssh_server_callbacks_struct())
        channelCallbacks.initialize(to: ssh_channel_callbacks_struct())
    }

    deinit {
        serverCallbacks.deallocate()
        channelCallbacks.deallocate()
    }

    /// Serves the connection until it ends; blocks the calling thread.
    func run() {
        defer { finish() }
        installCallbacks()
        var graceSeconds = settings.limits.loginGraceSeconds
        ssh_options_set(session, SSH_OPTIONS_TIMEOUT, &graceSeconds)
        ssh_set_auth_methods(session, Int32(SSH_AUTH_METHOD_PUBLICKEY))
        guard ssh_handle_key_exchange(session) == SSH_OK else {
            report.outcome = .ended("key exchange failed: \(LibSSH.lastError(session))")
            return
        }
        guard let event = ssh_event_new(), ssh_event_add_session(event, session) == SSH_OK else {
            report.outcome = .ended("could not create the libssh event loop")
            return
        }
        self.event = event
        while !isDone {
            step()
        }
    }

    private var isDone: Bool {
        if case .done = phase { return true }
        return false
    }

    var clientHungUp: Bool {
        ssh_get_status(session) & Int32(SSH_CLOSED | SSH_CLOSED_ERROR) != 0
    }

    /// One round: enforce limits, poll, then act on what the callbacks decided and move bytes.
    private func step() {
        enforceLimits(now: .now)
        if isDone { return }
        if ssh_event_dopoll(event, Self.pollMilliseconds) == SSH_ERROR && clientHungUp {
            // With the client gone libssh may have nothing left to poll and return at once: a running
            // receive-pack is then waited for at the same pace instead of in a busy loop.
            usleep(UInt32(Self.pollMilliseconds) * 1000)
        }

        if let refusal = pendingDisconnect {
            disconnect(refusal)
            return
        }
        if let refusal = pendingRefusal {
            pendingRefusal = nil
            refuseOnChannel(refusal)
        }
        switch phase {
        case .authenticating:
            if clientHungUp { phase = .done }
        case .pushing:
            if let push { pump(push) }
        case .finishing(let until):
            if clientHungUp || ContinuousClock.now >= until { phase = .done }
        case .done:
            break
        }
    }

    private func enforceLimits(now: ContinuousClock.Instant) {
        let serverPhase = settings.registry.phase
        switch phase {
        case .authenticating:
            if serverPhase != .serving {
                disconnect(.shuttingDown)
            } else if now >= sessionDeadline {
                disconnect(.sessionTimeLimit(seconds: settings.limits.maxSessionSeconds))
            } else if now >= loginDeadline {
                disconnect(.loginTimeout(seconds: settings.limits.loginGraceSeconds))
            }
        case .pushing:
            if serverPhase == .aborting {
                stopPush(.shuttingDown)
            } else if now >= sessionDeadline {
                stopPush(.sessionTimeLimit(seconds: settings.limits.maxSessionSeconds))
            }
        case .finishing:
            if serverPhase == .aborting { phase = .done }
        case .done:
            break
        }
    }

    /// Tells the client why on the channel's stderr, exits with status 1 and closes the channel.
    func refuseOnChannel(_ refusal: Refusal) {
        report.refuse(refusal)
        guard let channel, !clientHungUp, !channelClosedByClient else {
            phase = .done
            return
        }
        let line = Array((refusal.message + "\n").utf8)
        _ = line.withUnsafeBytes { ssh_channel_write_stderr(channel, $0.baseAddress, UInt32($0.count)) }
        closeChannel(exitStatus: 1)
    }

    /// Sends the exit status, end-of-file and close, then waits for the client to hang up.
    func closeChannel(exitStatus: UInt32) {
        if let channel, !clientHungUp, !channelClosedByClient {
            ssh_channel_request_send_exit_status(channel, Int32(bitPattern: exitStatus))
            ssh_channel_send_eof(channel)
            ssh_channel_close(channel)
            phase = .finishing(until: .now + Self.hangUpGrace)
        } else {
            phase = .done
        }
    }

    /// Ends the connection with an SSH disconnect message, which OpenSSH prints.
    private func disconnect(_ refusal: Refusal) {
        report.refuse(refusal)
        push?.process.killAll()
        if !clientHungUp { hangUp(message: refusal.message) }
        phase = .done
    }

    /// Sends SSH_MSG_DISCONNECT and closes the connection so that the client reads the message.
    ///
    /// libssh only writes a packet at once when its poll loop last saw the socket writable with nothing
    /// queued; otherwise it queues it for the next poll, and `ssh_disconnect` closes the socket right after
    /// queueing, losing the message. So: flush, poll once (the socket is writable: the flag gets set), then
    /// disconnect. The socket is kept open through a duplicate until the client closes its side, because
    /// closing with unread input would send a reset, which can destroy the message before it is read.
    private func hangUp(message: String?) {
        if let message { ssh_session_set_disconnect_message(session, message) }
        ssh_blocking_flush(session, 2000)
        if let event { ssh_event_dopoll(event, 100) }
        let socket = dup(ssh_get_fd(session))
        ssh_disconnect(session)
        guard socket >= 0 else { return }
        defer { close(socket) }
        shutdown(socket, Int32(SHUT_WR))
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var discard = [UInt8](repeating: 0, count: 4096)
        while recv(socket, &discard, discard.count, 0) > 0 {}
    }

    private func finish() {
        push?.process.killAll()
        if let event { push?.unregisterAll(from: event) }
        if !clientHungUp { hangUp(message: nil) }
        if let event {
            ssh_event_remove_session(event, session)
            ssh_event_free(event)
        }
        ssh_free(session)
        phase = .done
        if owner == nil, authenticationAttempts > 0, case .ended = report.outcome {
            report.refuse(.authenticationFailed)
        }
        report.log(to: settings.logger, duration: .now - startedAt)
        settings.registry.leave()
    }
}
