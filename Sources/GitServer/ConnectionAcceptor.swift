import CSSH
import Glibc
import Logging
import Synchronization
import Systemd

/// Accepts connections on the listening socket on a thread of its own and starts one thread per connection.
/// Over `max_connections`, a connection gets one line of text (clients print lines before the SSH version
/// as a banner) and is closed.
final class ConnectionAcceptor: Sendable {
    private let listeningSocket: Int32
    private let binding: SSHBinding
    private let settings: ConnectionSettings
    /// Written to wake the accept loop up for stopping.
    private let wakeUp: (read: Int32, write: Int32)
    private let finished = Mutex<(done: Bool, error: GitServerError?, waiter: CheckedContinuation<GitServerError?, Never>?)>((false, nil, nil))

    /// Starts accepting at once.
    init(listeningSocket: Int32, binding: SSHBinding, settings: ConnectionSettings) throws {
        let pipe = try SystemCall.socketPair("waking the SSH accept loop")
        self.listeningSocket = listeningSocket
        self.binding = binding
        self.settings = settings
        wakeUp = (pipe[0], pipe[1])
        do {
            try DetachedThread.start { [self] in
                let error = acceptLoop()
                let waiter = finished.withLock { state in
                    state.done = true
                    state.error = error
                    defer { state.waiter = nil }
                    return state.waiter
                }
                waiter?.resume(returning: error)
            }
        } catch {
            SystemCall.closeQuietly(pipe[0])
            SystemCall.closeQuietly(pipe[1])
            throw error
        }
    }

    deinit {
        SystemCall.closeQuietly(wakeUp.read)
        SystemCall.closeQuietly(wakeUp.write)
    }

    /// Makes the accept loop return (and close the listening socket); returns at once.
    func stop() {
        var byte: UInt8 = 1
        _ = send(wakeUp.write, &byte, 1, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
    }

    /// Returns when the accept loop has ended: nil after ``stop()``, the error if it failed on its own.
    func waitUntilStopped() async -> GitServerError? {
        await withCheckedContinuation { continuation in
            let result: GitServerError?? = finished.withLock { state in
                if state.done { return .some(state.error) }
                state.waiter = continuation
                return .none
            }
            if case .some(let error) = result { continuation.resume(returning: error) }
        }
    }

    private func acceptLoop() -> GitServerError? {
        defer { SystemCall.closeQuietly(listeningSocket) }
        var fds = [pollfd(fd: listeningSocket, events: Int16(POLLIN), revents: 0), pollfd(fd: wakeUp.read, events: Int16(POLLIN), revents: 0)]
        while true {
            fds[0].revents = 0
            fds[1].revents = 0
            if poll(&fds, 2, -1) < 0 {
                if errno == EINTR { continue }
                return GitServerError(operation: "poll the SSH listening socket", reason: String(cString: strerror(errno)))
            }
            if fds[1].revents != 0 { return nil }
            if fds[0].revents & Int16(POLLNVAL | POLLERR) != 0 {
                return GitServerError(operation: "accept SSH connections on fd \(listeningSocket)", reason: "the socket is not listening",
                                      hint: "pass a listening TCP socket (systemd socket unit with FileDescriptorName=gitd)")
            }
            guard fds[0].revents != 0 else { continue }
            let fd = accept()
            if fd >= 0 { serve(fd) }
        }
    }

    /// One accepted connection, or -1 for a transient failure (the client left already, fds exhausted).
    private func accept() -> Int32 {
        let fd = GNUFunctions.accept4.map { $0(listeningSocket, nil, nil, SystemCall.socketCloseOnExec) } ?? Glibc.accept(listeningSocket, nil, nil)
        if fd >= 0 {
            if GNUFunctions.accept4 == nil { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            return fd
        }
        let error = errno
        switch error {
        case EINTR, EAGAIN, ECONNABORTED, EPROTO:
            break
        default:
            // EMFILE, ENFILE, ENOBUFS, ENOMEM: back off instead of spinning on a socket that stays readable.
            settings.logger.error("accepting an SSH connection failed", metadata: ["error": "\(String(cString: strerror(error))) (errno \(error))"])
            usleep(100_000)
        }
        return -1
    }

    private func serve(_ fd: Int32) {
        let peer = Self.peerAddress(fd)
        guard settings.registry.admit() else {
            let refusal = settings.registry.phase == .serving ? Refusal.tooManyConnections : .shuttingDown
            let line = Array((refusal.message + "\r\n").utf8)
            _ = line.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT)) }
            // Take the client's version line if it came already: closing with unread data would send a
            // reset, which can overtake our line.
            var discard = [UInt8](repeating: 0, count: 512)
            _ = recv(fd, &discard, discard.count, Int32(MSG_DONTWAIT))
            shutdown(fd, Int32(SHUT_WR))
            SystemCall.closeQuietly(fd)
            var report = ConnectionReport(peer: peer)
            report.refuse(refusal)
            report.log(to: settings.logger, duration: .zero)
            return
        }
        let (session, error) = binding.session(for: fd)
        guard let session else {
            settings.logger.error("libssh refused a connection", metadata: ["peer": "\(peer)", "error": "\(error ?? "")"])
            settings.registry.leave()
            return
        }
        let connection = GitSSHConnection(session: session, peer: peer, settings: settings)
        do {
            try DetachedThread.start { connection.run() }
        } catch {
            settings.logger.error("no thread for an SSH connection", metadata: ["peer": "\(peer)", "error": "\(error)"])
            ssh_free(session)
            settings.registry.leave()
        }
    }

    /// `address:port` of the client, for the log.
    private static func peerAddress(_ fd: Int32) -> String {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let got = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) }
        }
        guard got == 0 else { return "unknown" }
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        var port = [CChar](repeating: 0, count: Int(NI_MAXSERV))
        let named = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getnameinfo($0, length, &host, socklen_t(host.count), &port, socklen_t(port.count), NI_NUMERICHOST | NI_NUMERICSERV)
            }
        }
        guard named == 0 else { return "unknown" }
        let address = text(host)
        return address.contains(":") ? "[\(address)]:\(text(port))" : "\(address):\(text(port))"
    }

    /// A NUL-terminated C string in an array.
    private static func text(_ characters: [CChar]) -> String {
        String(decoding: characters.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
