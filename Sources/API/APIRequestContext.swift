import Foundation
import Hummingbird
import NIOCore
import NIOFoundationCompat
import Store
import Systemd

/// Per-request state of the API: who is calling (set by `AuthenticationMiddleware`) and from where.
public struct APIRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The TCP peer ("203.0.113.7") or "unix" for the internal socket, before proxy headers.
    public let peerAddress: String
    /// Credentials of a Unix-socket peer (SO_PEERCRED), nil over TCP.
    public let peerCredentials: PeerCredentials?
    /// The authenticated caller, if any.
    public var authentication: PlatformStore.Authentication?
    /// How the caller authenticated: by cookie requests need CSRF protection, bearer ones don't.
    public var authenticatedByCookie = false
    /// The client address after trusted `X-Forwarded-For` resolution (rate limits, audit log).
    public var clientAddress: String

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        peerCredentials = PeerCredentials.of(source.channel)
        switch source.channel.remoteAddress {
        case .some(.unixDomainSocket): peerAddress = "unix"
        case .some(let address): peerAddress = address.ipAddress ?? "unknown"
        case .none: peerAddress = peerCredentials == nil ? "unknown" : "unix"
        }
        clientAddress = peerAddress
    }

    public var maxUploadSize: Int { 1 << 20 }
    public var requestDecoder: JSONDecoder { JSONDecoder() }
    public var responseEncoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }

    /// The signed-in user, or 401.
    func requireUser() throws(APIError) -> User {
        guard let user = authentication?.user else { throw APIError.unauthenticated }
        return user
    }

    /// The signed-in administrator; anyone else gets 404 so admin routes are not even revealed.
    func requireAdmin() throws(APIError) -> User {
        guard let user = authentication?.user, user.isAdmin else { throw APIError.notFound("page") }
        return user
    }

    /// The viewer scope for object queries: owners see their own objects only.
    func viewer() throws(APIError) -> Viewer { .user(try requireUser().id) }

    /// The viewer scope of routes open to an object's owner and to administrators (custom domains):
    /// administrators act on everyone's objects, everyone else on their own.
    func ownerOrAdministrator() throws(APIError) -> Viewer {
        let user = try requireUser()
        return user.isAdmin ? .administrator : .user(user.id)
    }
}

extension APIRequestContext {
    /// The `:uuid` path parameter; a malformed one names no object, so it is a 404 like any other.
    func uuidParameter(_ name: String = "uuid") throws(APIError) -> UUID {
        guard let text = parameters.get(name), let uuid = UUID(uuidString: text) else { throw APIError.notFound("object") }
        return uuid
    }
}

extension APIRequestContext {
    /// The `:id` path parameter; like a malformed uuid, a non-number names no object.
    func idParameter(_ name: String = "id") throws(APIError) -> Int64 {
        guard let text = parameters.get(name), let id = Int64(text) else { throw APIError.notFound("object") }
        return id
    }
}

extension Request {
    /// Decodes a JSON body with our own decoder so that a wrong or missing field reaches the
    /// client as `invalid_request` naming the field (Hummingbird's `decode` flattens it to 400).
    func decodeJSON<T: Decodable>(_ type: T.Type, context: APIRequestContext) async throws -> T {
        let body = try await self.body.collect(upTo: context.maxUploadSize)
        return try JSONDecoder().decode(T.self, from: Data(buffer: body))
    }
}
