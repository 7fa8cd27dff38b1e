/// A listening socket that cannot be created because of its address (system-call failures are ``SystemCallError``s).
public enum ListeningSocketError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The host is not an IPv4 or IPv6 literal.
    case invalidHost(String)
    /// The port is outside 0...65535.
    case invalidPort(Int)
    /// The Unix socket path does not fit in `sockaddr_un` (at most 107 bytes).
    case pathTooLong(String)
    /// Something other than a socket exists at the Unix socket path; it is never deleted.
    case notASocket(String)
    /// Another process accepts connections on the Unix socket path.
    case socketInUse(String)

    public var description: String {
        switch self {
        case .invalidHost(let host):
            return "cannot listen on host \(host.debugDescription): use an IP literal such as 127.0.0.1 or ::1, not a name"
        case .invalidPort(let port):
            return "cannot listen on port \(port): ports are 0...65535"
        case .pathTooLong(let path):
            return "cannot listen on \(path): Unix socket paths are limited to 107 bytes; use a shorter directory"
        case .notASocket(let path):
            return "cannot listen on \(path): a file that is not a socket exists there; move it away"
        case .socketInUse(let path):
            return "cannot listen on \(path): another process is accepting connections on it; stop it first"
        }
    }
}
