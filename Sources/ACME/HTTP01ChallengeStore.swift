import Synchronization

/// The in-memory HTTP-01 responder the edge shares between certificate issuance and its port-80
/// listener, which answers `GET /.well-known/acme-challenge/<token>` with ``keyAuthorization(forToken:)``.
public final class HTTP01ChallengeStore: HTTP01ChallengeResponder {
    /// The path prefix under which challenges are served.
    public static let pathPrefix = "/.well-known/acme-challenge/"

    private let answers = Mutex<[String: String]>([:])

    public init() {}

    public func publish(token: String, keyAuthorization: String) async {
        answers.withLock { $0[token] = keyAuthorization }
    }

    public func withdraw(token: String) async {
        _ = answers.withLock { $0.removeValue(forKey: token) }
    }

    /// The key authorization to serve for `token`, or nil (answer 404). Synchronous and cheap: the edge
    /// calls it on an event loop.
    public func keyAuthorization(forToken token: String) -> String? {
        answers.withLock { $0[token] }
    }

    /// The key authorization for a request path `/.well-known/acme-challenge/<token>`, or nil when the
    /// path is not a challenge path or the token is unknown.
    public func keyAuthorization(forPath path: String) -> String? {
        guard path.hasPrefix(Self.pathPrefix) else { return nil }
        let token = path.dropFirst(Self.pathPrefix.count)
        guard !token.isEmpty, !token.contains("/") else { return nil }
        return keyAuthorization(forToken: String(token))
    }

    /// The tokens currently published.
    public var publishedTokens: [String] {
        answers.withLock { Array($0.keys) }
    }
}
