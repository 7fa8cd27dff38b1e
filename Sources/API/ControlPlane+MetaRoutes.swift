import Foundation
import Hummingbird

extension ControlPlane {
    struct HealthBody: ResponseCodable {
        var status: String
        var database: String
    }

    /// The committed OpenAPI document, embedded in the binary.
    static let openAPIDocument = EmbeddedFiles.contents["openapi.json"] ?? "{}"

    func addMetaRoutes(to v1: RouterGroup<APIRequestContext>) {
        v1.get("health", use: health)
        v1.get("openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"],
                     body: .init(byteBuffer: ByteBuffer(string: Self.openAPIDocument)))
        }
    }

    /// 200 when the database answers, 503 otherwise: what a load balancer or systemd check wants.
    @Sendable func health(_ request: Request, context: APIRequestContext) async throws -> EditedResponse<HealthBody> {
        do {
            try await store.database.ping()
            return EditedResponse(response: HealthBody(status: "ok", database: "ok"))
        } catch {
            logger.warning("health check: database unreachable", metadata: ["error": "\(error)"])
            return EditedResponse(status: .serviceUnavailable, response: HealthBody(status: "degraded", database: "unreachable"))
        }
    }
}
