import Foundation
import Postgres

extension PlatformStore {
    /// A new release of a deployment: the next version number, the deployment's configuration as its
    /// snapshot, status `building`. Two concurrent pushes cannot get the same version (the unique
    /// constraint decides; the loser retries once).
    public func createRelease(deploymentUUID: UUID, commitSHA: String, description: String, createdBy username: String?) async throws -> Release {
        guard commitSHA.range(of: "^[0-9a-f]{40}([0-9a-f]{24})?$", options: .regularExpression) != nil else {
            throw StoreError.invalid(field: "commit_sha", message: "commit_sha must be a full hexadecimal commit id")
        }
        let description = String(description.prefix(500))
        for attempt in 0..<2 {
            do {
                let rows = try await database.query("""
                    WITH d AS (SELECT uuid, config FROM deployments WHERE uuid = $1),
                         inserted AS (
                           INSERT INTO releases (deployment_uuid, version, commit_sha, status, config, description, created_by)
                           SELECT d.uuid, COALESCE((SELECT MAX(version) FROM releases WHERE deployment_uuid = d.uuid), 0) + 1,
                                  $2, 'building', d.config, $3, (SELECT id FROM users WHERE username = $4)
                           FROM d RETURNING *)
                    SELECT i.id, i.deployment_uuid, i.version, i.commit_sha, i.status, i.config::text AS config, i.build_log_path,
                           i.description, i.created_at, u.username AS created_by
                    FROM inserted i LEFT JOIN users u ON u.id = i.created_by
                    """, [.uuid(deploymentUUID), .text(commitSHA), .text(description), username.map(PostgresValue.text) ?? .null])
                guard let row = rows.first else { throw StoreError.notFound("deployment") }
                return try Release(row: row)
            } catch let error as PostgresError where error.isUniqueViolation && attempt == 0 {
                continue
            }
        }
        throw StoreError.conflict(field: "version", message: "another release of this deployment is being created; push again")
    }

    /// Moves a release to `status`. A release going live supersedes the deployment's previous live one.
    @discardableResult
    public func setReleaseStatus(id: Int64, status: ReleaseStatus, buildLogPath: String? = nil) async throws -> Bool {
        try await database.withTransaction { transaction in
            let updated = try await transaction.query("""
                UPDATE releases SET status = $2, build_log_path = COALESCE($3, build_log_path), updated_at = now()
                WHERE id = $1 RETURNING deployment_uuid
                """, [.int(id), .text(status.rawValue), buildLogPath.map(PostgresValue.text) ?? .null])
            guard let deployment = try updated.first?.decode("deployment_uuid", as: UUID.self) else { return false }
            if status == .live {
                _ = try await transaction.execute("""
                    UPDATE releases SET status = 'superseded', updated_at = now()
                    WHERE deployment_uuid = $1 AND status = 'live' AND id <> $2
                    """, [.uuid(deployment), .int(id)])
            }
            return true
        }
    }

    /// A release by id, for rollbacks.
    public func release(id: Int64, for viewer: Viewer) async throws -> Release? {
        try await database.query("""
            SELECT r.id, r.deployment_uuid, r.version, r.commit_sha, r.status, r.config::text AS config, r.build_log_path,
                   r.description, r.created_at, u.username AS created_by
            FROM releases r LEFT JOIN users u ON u.id = r.created_by
            JOIN deployments d ON d.uuid = r.deployment_uuid JOIN projects p ON p.uuid = d.project_uuid
            WHERE r.id = $1 AND ($2::bigint IS NULL OR p.user_id = $2)
            """, [.int(id), viewer.ownerFilter]).first.map(Release.init(row:))
    }
}
