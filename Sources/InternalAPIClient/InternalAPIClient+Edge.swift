import Foundation

extension InternalAPIClient {
    /// A host name the edge routes to a deployment besides the generated `<deployment>.<project>.<apps_domain>`
    /// (`GET /internal/v1/edge/hosts`).
    public struct EdgeHost: Sendable, Equatable, Decodable {
        /// Why the name routes to the deployment. Kinds a newer API adds decode too (compare with the constants).
        public struct Kind: RawRepresentable, Sendable, Hashable, Decodable, CustomStringConvertible {
            /// A custom domain a user attached to the deployment; the edge gets it a certificate.
            public static let custom = Kind(rawValue: "custom")
            /// `<project>.<apps_domain>`, the short name of a project with exactly one deployment.
            public static let project = Kind(rawValue: "project")

            public let rawValue: String
            public init(rawValue: String) { self.rawValue = rawValue }
            public var description: String { rawValue }
        }

        /// The host name, lower case, without a trailing dot.
        public let host: String
        /// The project the deployment belongs to.
        public let projectID: UUID
        /// The deployment whose instances serve the name (Pomegranate's `deployment_id`).
        public let deploymentID: UUID
        /// Why the name routes there.
        public let kind: Kind

        /// - Parameters:
        ///   - host: The host name.
        ///   - projectID: The project's id.
        ///   - deploymentID: The deployment's id.
        ///   - kind: Why the name routes there.
        public init(host: String, projectID: UUID, deploymentID: UUID, kind: Kind) {
            self.host = host
            self.projectID = projectID
            self.deploymentID = deploymentID
            self.kind = kind
        }

        enum CodingKeys: String, CodingKey {
            case host, projectID = "project_id", deploymentID = "deployment_id", kind
        }
    }

    /// `{"hosts": [...]}`.
    struct EdgeHosts: Decodable {
        var hosts: [EdgeHost]
    }

    /// The body of `PUT /internal/v1/edge/certificates/{host}`: `expires_at` as RFC 3339, or null.
    struct CertificateReport: Encodable {
        var status: String
        var expiresAt: Date?
        var error: String?

        enum CodingKeys: String, CodingKey { case status, expiresAt = "expires_at", error }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(status, forKey: .status)
            if let expiresAt {
                let formatter = ISO8601DateFormatter()
                formatter.formatOptions = [.withInternetDateTime]
                try container.encode(formatter.string(from: expiresAt), forKey: .expiresAt)
            } else {
                try container.encodeNil(forKey: .expiresAt)
            }
            try container.encodeIfPresent(error, forKey: .error)
        }
    }
}
