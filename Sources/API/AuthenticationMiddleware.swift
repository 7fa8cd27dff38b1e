import Credentials
import Foundation
import HTTPTypes
import Hummingbird
import Store

/// Resolves `Authorization: Bearer <token>` or the session cookie to a user, and resolves the
/// client address from `X-Forwarded-For` only when the TCP peer is a trusted proxy (the edge).
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext
    static let cookieName = "paastech_session"

    let store: PlatformStore
    let trustedProxies: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.clientAddress = clientAddress(request, peer: context.peerAddress)
        if let token = bearerToken(request) {
            guard let authentication = try await authenticate(token) else { throw APIError.unauthenticated }
            context.authentication = authentication
        } else if let token = request.cookies[Self.cookieName]?.value, let authentication = try await authenticate(token) {
            // A stale cookie is simply ignored (public routes must keep working); an explicit bearer is not.
            context.authentication = authentication
            context.authenticatedByCookie = true
            try checkCrossSiteSafety(request)
        }
        return try await next(request, context)
    }

    private func bearerToken(_ request: Request) -> String? {
        guard let header = request.headers[.authorization] else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return String(parts[1]).trimmingCharacters(in: .whitespaces)
    }

    private func authenticate(_ token: String) async throws -> PlatformStore.Authentication? {
        let hash = SecretToken.hash(token)
        if token.hasPrefix(SecretToken.Prefix.session) { return try await store.authenticateSession(tokenHash: hash) }
        if token.hasPrefix(SecretToken.Prefix.apiToken) { return try await store.authenticateAPIToken(tokenHash: hash) }
        return nil
    }

    /// Cookie-authenticated writes must be JSON (or DELETE): a cross-site HTML form cannot send
    /// either without a CORS preflight, which this API never grants. SameSite=Lax is the first line.
    private func checkCrossSiteSafety(_ request: Request) throws {
        switch request.method {
        case .get, .head, .options, .delete: return
        default:
            let type = request.headers[.contentType]?.lowercased() ?? ""
            guard type.hasPrefix("application/json") else {
                throw APIError(.forbidden, code: "csrf", "cookie-authenticated requests must send Content-Type: application/json")
            }
        }
    }

    private func clientAddress(_ request: Request, peer: String) -> String {
        guard trustedProxies.contains(peer), let forwarded = request.headers[.xForwardedFor] else { return peer }
        // The last hop was added by our trusted proxy; anything before it is the client's own claim.
        return forwarded.split(separator: ",").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? peer
    }
}

extension HTTPField.Name {
    static let xForwardedFor = Self("X-Forwarded-For")!  // safe: a valid literal header name
}
