import Hummingbird
import NIOCore

/// Per-request state of the console: the visitor's session (the API token in the console's cookie, and
/// the user it belongs to), the CSRF seed, and the visitor's address.
public struct ConsoleRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The API session token from the console's cookie, when it is still valid.
    var token: String?
    /// `GET /v1/me` for the signed-in user.
    var me: ConsoleAPI.Reply?
    /// The signed-in user as `GET /v1/me` returns it.
    var user: [String: Any]? { me?.json }
    /// The per-browser random value CSRF tokens are derived from (its cookie is set when missing).
    var csrfSeed = ""
    var setsCSRFCookie = false
    /// The visitor's address: the edge's `X-Forwarded-For` when the peer is local, else the peer.
    var clientAddress: String
    /// Whether the visitor came over HTTPS (the edge says so in `X-Forwarded-Proto`).
    var isSecure = false
    /// The TCP peer: the edge, or a visitor reaching the console directly.
    let peerAddress: String

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        peerAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
        clientAddress = peerAddress
    }

    public var maxUploadSize: Int { 1 << 20 }

    var isAdmin: Bool { user?["is_admin"] as? Bool == true }
}
