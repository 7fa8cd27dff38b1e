import Foundation
import Glibc
import Hummingbird
import Prometheus
import Store

extension ControlPlane {
    struct KeyOwnerBody: ResponseCodable {
        var userID: Int64
        var username: String
        var isAdmin: Bool
        var keyID: Int64
        enum CodingKeys: String, CodingKey { case userID = "user_id", username, isAdmin = "is_admin", keyID = "key_id" }
    }

    /// The router of the internal Unix socket: only the platform's own daemons (by SO_PEERCRED
    /// uid) reach it; it is never routed by the edge and not reachable from app sandboxes.
    public func internalRouter(metrics: PrometheusCollectorRegistry) -> Router<APIRequestContext> {
        let router = Router(context: APIRequestContext.self)
        router.add(middleware: ErrorMappingMiddleware())
        router.add(middleware: PeerAuthorizationMiddleware(allowedUIDs: Self.uids(of: configuration.api.internalAllowedUsers)))
        router.get("v1/health", use: health)
        router.get("metrics") { _, _ in
            var buffer: [UInt8] = []
            metrics.emit(into: &buffer)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                            body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
        }
        let internalV1 = router.group("internal/v1")
        // Fingerprints contain '/' and '+', so they travel as a query parameter.
        internalV1.get("ssh-key-owner") { request, _ in
            guard let fingerprint = request.uri.queryParameters.get("fingerprint"), fingerprint.hasPrefix("SHA256:") else {
                throw APIError.invalid("fingerprint=SHA256:... is required")
            }
            guard let owner = try await store.keyOwner(fingerprint: fingerprint) else { throw APIError.notFound("key") }
            return KeyOwnerBody(userID: owner.user.id, username: owner.user.username, isAdmin: owner.user.isAdmin, keyID: owner.key.id)
        }
        internalV1.get("projects/:owner/:name") { _, context in
            let owner = try context.parameters.require("owner")
            let name = try context.parameters.require("name")
            guard let project = try await store.project(owner: owner, name: name) else { throw APIError.notFound("project") }
            return projectBody(project)
        }
        addPipelineRoutes(to: internalV1)
        addEdgeRoutes(to: internalV1)
        return router
    }

    /// Resolves the configured user names once at start-up; unknown names are skipped with a warning.
    static func uids(of users: [String]) -> Set<uid_t> {
        Set(users.compactMap { name in getpwnam(name).map { $0.pointee.pw_uid } })
    }
}

/// Lets a request through only if the Unix-socket peer runs as one of the allowed uids.
struct PeerAuthorizationMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext
    let allowedUIDs: Set<uid_t>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let peer = context.peerCredentials, allowedUIDs.contains(peer.uid) else {
            throw APIError(.forbidden, code: "forbidden", "the internal API only serves the platform's own services")
        }
        return try await next(request, context)
    }
}
