import Foundation
import Postgres

extension PlatformStore {
    /// The custom domains of a deployment, by host name; nil when the viewer cannot see the deployment.
    public func domains(deploymentUUID: UUID, for viewer: Viewer) async throws -> [Domain]? {
        guard try await deployment(uuid: deploymentUUID, for: viewer) != nil else { return nil }
        return try await database.query("SELECT \(Domain.columns) FROM domains WHERE deployment_uuid = $1 ORDER BY hostname",
                                        [.uuid(deploymentUUID)]).map(Domain.init(row:))
    }

    /// Attaches a custom domain to a deployment, its certificate `pending` until the edge reports.
    /// - Parameter hostname: Normalised and checked by ``Validation/hostname(_:)``; whether it is one of the
    ///   platform's own names is the caller's business (the Store does not know them).
    /// - Returns: The new domain, or nil when the viewer cannot see the deployment.
    /// - Throws: ``StoreError/invalid(field:message:)`` for a malformed name, ``StoreError/conflict(field:message:)``
    ///   (field `hostname`) when any deployment, anyone's, already has it.
    public func addDomain(hostname: String, deploymentUUID: UUID, for viewer: Viewer) async throws -> Domain? {
        let hostname = try Validation.hostname(hostname)
        return try await Self.mapConflicts {
            try await database.query("""
                INSERT INTO domains (hostname, deployment_uuid)
                SELECT $1, d.uuid FROM deployments d JOIN projects p ON p.uuid = d.project_uuid
                WHERE d.uuid = $2 AND ($3::bigint IS NULL OR p.user_id = $3)
                RETURNING \(Domain.columns)
                """, [.text(hostname), .uuid(deploymentUUID), viewer.ownerFilter]).first.map(Domain.init(row:))
        }
    }

    /// Detaches a custom domain from a deployment; false when the deployment has no such domain (or the
    /// viewer cannot see it). A malformed name is simply no domain.
    public func deleteDomain(hostname: String, deploymentUUID: UUID, for viewer: Viewer) async throws -> Bool {
        guard let hostname = try? Validation.hostname(hostname) else { return false }
        return try await database.execute("""
            DELETE FROM domains dom USING deployments d, projects p
            WHERE dom.hostname = $1 AND dom.deployment_uuid = $2 AND d.uuid = dom.deployment_uuid AND p.uuid = d.project_uuid
              AND ($3::bigint IS NULL OR p.user_id = $3)
            """, [.text(hostname), .uuid(deploymentUUID), viewer.ownerFilter]) > 0
    }

    /// Every host name the edge routes besides the generated `<deployment>.<project>.<apps_domain>`: each
    /// custom domain, and `<project>.<appsDomain>` for each project with exactly one deployment. Sorted by
    /// host name (bytewise, whatever the database's locale), then kind.
    public func edgeHosts(appsDomain: String) async throws -> [EdgeHost] {
        try await database.query("""
            SELECT host, project_uuid, deployment_uuid, kind FROM (
                SELECT dom.hostname AS host, p.uuid AS project_uuid, d.uuid AS deployment_uuid, 'custom' AS kind
                FROM domains dom JOIN deployments d ON d.uuid = dom.deployment_uuid JOIN projects p ON p.uuid = d.project_uuid
                UNION ALL
                SELECT p.name || '.' || $1::text, p.uuid, (array_agg(d.uuid))[1], 'project'
                FROM projects p JOIN deployments d ON d.project_uuid = p.uuid
                GROUP BY p.uuid, p.name HAVING count(*) = 1
            ) hosts ORDER BY host COLLATE "C", kind
            """, [.text(appsDomain)]).map { row in
            EdgeHost(host: try row.decode("host", as: String.self), projectUUID: try row.decode("project_uuid", as: UUID.self),
                     deploymentUUID: try row.decode("deployment_uuid", as: UUID.self),
                     kind: EdgeHost.Kind(rawValue: try row.decode("kind", as: String.self)) ?? .custom)
        }
    }

    /// Records the state of a custom domain's certificate as the edge reports it (each field replaced,
    /// `error` cut to 1000 characters); false when `hostname` is not a custom domain.
    public func setCertificateStatus(hostname: String, status: CertificateStatus, expiresAt: Date?,
                                     error: String?) async throws -> Bool {
        guard let hostname = try? Validation.hostname(hostname) else { return false }
        return try await database.execute("""
            UPDATE domains SET certificate_status = $2, certificate_expires_at = $3, certificate_error = $4, updated_at = now()
            WHERE hostname = $1
            """, [.text(hostname), .text(status.rawValue), expiresAt.map(PostgresValue.date) ?? .null,
                  error.map { PostgresValue.text(String($0.prefix(1000))) } ?? .null]) > 0
    }
}

extension Domain {
    static let columns = """
        id, hostname, deployment_uuid, certificate_status, certificate_expires_at, certificate_error, created_at, updated_at
        """

    init(row: PostgresRow) throws {
        self.init(
            id: try row.decode("id", as: Int64.self),
            hostname: try row.decode("hostname", as: String.self),
            deploymentUUID: try row.decode("deployment_uuid", as: UUID.self),
            certificateStatus: CertificateStatus(rawValue: try row.decode("certificate_status", as: String.self)) ?? .pending,
            certificateExpiresAt: try row.decode("certificate_expires_at", as: Date?.self),
            certificateError: try row.decode("certificate_error", as: String?.self),
            createdAt: try row.decode("created_at", as: Date.self),
            updatedAt: try row.decode("updated_at", as: Date.self))
    }
}
