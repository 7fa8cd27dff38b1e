import CSystemd
import Glibc
import Logging
import NIOCore
import Synchronization

/// Who is at the other end of a Unix-domain connection (`SO_PEERCRED`): the kernel records the peer's
/// pid, uid and gid when it connects, so they cannot be forged. The API authorises internal callers by uid.
public struct PeerCredentials: Sendable, Equatable {
    /// The peer's process id at connect time.
    public let pid: pid_t
    /// The peer's effective user id at connect time.
    public let uid: uid_t
    /// The peer's effective group id at connect time.
    public let gid: gid_t

    /// - Parameters:
    ///   - pid: Process id.
    ///   - uid: Effective user id.
    ///   - gid: Effective group id.
    public init(pid: pid_t, uid: uid_t, gid: gid_t) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
    }

    /// The credentials of the peer of `channel`, e.g. `ApplicationRequestContextSource.channel` in a
    /// request context's `init(source:)`.
    ///
    /// NIO reads socket options only on the channel's event loop, so ``ActivatedHTTPServer`` reads them
    /// once when it accepts a Unix-domain connection and keeps them until the connection closes.
    /// - Returns: nil for TCP connections, for connections not accepted by an ``ActivatedHTTPServer``, and
    ///   if the kernel did not report them; callers that authorise by uid then refuse.
    public static func of(_ channel: any Channel) -> PeerCredentials? {
        byConnection.withLock { $0[ObjectIdentifier(channel)] }
    }

    /// Credentials of open Unix-domain connections. Entries are removed when the connection closes,
    /// before the channel object (whose identity is the key) can be freed and its address reused.
    private static let byConnection = Mutex<[ObjectIdentifier: PeerCredentials]>([:])

    /// Number of connections with recorded credentials.
    static var recordedCount: Int { byConnection.withLock { $0.count } }

    /// Reads and records the peer credentials of a newly accepted connection; call it on its event loop.
    /// Never fails: a connection without credentials is served, and ``of(_:)`` returns nil for it.
    static func record(for channel: any Channel, logger: Logger) -> EventLoopFuture<Void> {
        guard case .unixDomainSocket = channel.localAddress,
            let socketOptions = channel as? any SocketOptionProvider
        else { return channel.eventLoop.makeSucceededVoidFuture() }
        let raw: EventLoopFuture<csystemd_peer_credentials> = socketOptions.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_SOCKET),
            name: SocketOptionName(SO_PEERCRED)
        )
        return raw.map { raw in
            let key = ObjectIdentifier(channel)
            let credentials = PeerCredentials(pid: raw.pid, uid: raw.uid, gid: raw.gid)
            byConnection.withLock { $0[key] = credentials }
            channel.closeFuture.whenComplete { _ in
                _ = byConnection.withLock { $0.removeValue(forKey: key) }
            }
        }.recover { error in
            logger.warning("Could not read SO_PEERCRED of a Unix-socket peer", metadata: ["error": "\(error)"])
        }
    }
}
