import Foundation
import Hummingbird
import Store

/// The internal endpoints of the edge (`paastech edge`): the host names it routes besides the generated
/// `<deployment>.<project>.<apps_domain>` (which it gets from Pomegranate), and the state of the custom
/// domains' certificates, which users see in their domain list.
extension ControlPlane {
    struct EdgeHostsBody: ResponseCodable {
        struct Host: Codable {
            var host: String
            /// Lower case, as Pomegranate and `PAASTECH_PROJECT_ID` spell ids.
            var projectID: String
            var deploymentID: String
            /// `custom` (a custom domain) or `project` (`<project>.<apps_domain>`).
            var kind: String
            enum CodingKeys: String, CodingKey { case host, projectID = "project_id", deploymentID = "deployment_id", kind }
        }
        var hosts: [Host]
    }

    struct CertificateReportRequest: Decodable {
        var status: String
        /// RFC 3339; absent or null when no certificate is known.
        var expiresAt: String?
        var error: String?
        enum CodingKeys: String, CodingKey { case status, expiresAt = "expires_at", error }
    }

    func addEdgeRoutes(to internalV1: RouterGroup<APIRequestContext>) {
        internalV1.get("edge/hosts") { _, _ in
            let hosts = try await store.edgeHosts(appsDomain: configuration.platform.appsDomain.lowercased())
            return EdgeHostsBody(hosts: hosts.map {
                EdgeHostsBody.Host(host: $0.host, projectID: $0.projectUUID.uuidString.lowercased(),
                                   deploymentID: $0.deploymentUUID.uuidString.lowercased(), kind: $0.kind.rawValue)
            })
        }

        // The edge reports every certificate it holds; only custom domains have a row to record it in, so a
        // generated name is 404 and the edge moves on.
        internalV1.put("edge/certificates/:hostname") { request, context in
            let hostname = try context.parameters.require("hostname")
            let body = try await request.decodeJSON(CertificateReportRequest.self, context: context)
            guard let status = CertificateStatus(rawValue: body.status) else {
                throw APIError(.unprocessableContent, code: "invalid_certificate_report",
                               "status must be one of \(CertificateStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            var expiresAt: Date?
            if let text = body.expiresAt {
                guard let date = Self.rfc3339(text) else {
                    throw APIError(.unprocessableContent, code: "invalid_certificate_report",
                                   "expires_at must be an RFC 3339 time like 2025-01-31T12:00:00Z, or null")
                }
                expiresAt = date
            }
            guard try await store.setCertificateStatus(hostname: hostname, status: status, expiresAt: expiresAt, error: body.error) else {
                throw APIError.notFound("domain")
            }
            return Response(status: .noContent)
        }
    }

    /// `2025-01-31T12:00:00Z`, `2025-01-31T13:00:00+01:00`, with or without fractional seconds.
    static func rfc3339(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }
}
