import Foundation
import Postgres

/// Who may see an object: its owner, or an administrator acting as such.
public enum Viewer: Sendable, Equatable {
    case user(Int64)
    case administrator

    /// The owner id to filter on, or nil for "everyone's".
    var ownerFilter: PostgresValue { if case .user(let id) = self { .int(id) } else { .null } }
}

extension PlatformStore {
    public func createProject(userID: Int64, name: String) async throws -> Project {
        let name = try Validation.name(name, field: "name")
        return try await Self.mapConflicts {
            let rows = try await database.query("""
                WITH p AS (INSERT INTO projects (user_id, name) VALUES ($1, $2) RETURNING *)
                SELECT \(Project.columns) FROM p JOIN users owner ON owner.id = p.user_id
                """, [.int(userID), .text(name)])
            return try Project(row: rows[0])
        }
    }

    public func projects(for viewer: Viewer) async throws -> [Project] {
        try await database.query("""
            SELECT \(Project.columns) FROM \(Project.from)
            WHERE $1::bigint IS NULL OR p.user_id = $1 ORDER BY owner.username, p.name
            """, [viewer.ownerFilter]).map(Project.init(row:))
    }

    public func project(uuid: UUID, for viewer: Viewer) async throws -> Project? {
        try await database.query("""
            SELECT \(Project.columns) FROM \(Project.from) WHERE p.uuid = $1 AND ($2::bigint IS NULL OR p.user_id = $2)
            """, [.uuid(uuid), viewer.ownerFilter]).first.map(Project.init(row:))
    }

    /// `user/project` as written in git remotes.
    public func project(owner username: String, name: String) async throws -> Project? {
        try await database.query("SELECT \(Project.columns) FROM \(Project.from) WHERE owner.username = $1 AND p.name = $2",
                                 [.text(username), .text(name)]).first.map(Project.init(row:))
    }

    public func updateProject(uuid: UUID, for viewer: Viewer, name: String?, defaultBranch: String?) async throws -> Project? {
        let name = try name.map { value throws(StoreError) in try Validation.name(value, field: "name") }
        if let defaultBranch {
            guard Validation.isBranchName(defaultBranch) else {
                throw StoreError.invalid(field: "default_branch", message: "default_branch must be a valid git branch name")
            }
        }
        return try await Self.mapConflicts {
            try await database.query("""
                WITH p AS (
                    UPDATE projects SET name = coalesce($3, name), default_branch = coalesce($4, default_branch), updated_at = now()
                    WHERE uuid = $1 AND ($2::bigint IS NULL OR user_id = $2) RETURNING *)
                SELECT \(Project.columns) FROM p JOIN users owner ON owner.id = p.user_id
                """, [.uuid(uuid), viewer.ownerFilter, name.map { .text($0) } ?? .null, defaultBranch.map { .text($0) } ?? .null])
                .first.map(Project.init(row:))
        }
    }

    public func deleteProject(uuid: UUID, for viewer: Viewer) async throws -> Bool {
        try await database.execute("DELETE FROM projects WHERE uuid = $1 AND ($2::bigint IS NULL OR user_id = $2)",
                                   [.uuid(uuid), viewer.ownerFilter]) > 0
    }

    // MARK: Deployments

    public func deployments(projectUUID: UUID, for viewer: Viewer) async throws -> [Deployment]? {
        guard try await project(uuid: projectUUID, for: viewer) != nil else { return nil }
        return try await database.query("SELECT \(Deployment.columns) FROM deployments d WHERE d.project_uuid = $1 ORDER BY d.name",
                                        [.uuid(projectUUID)]).map(Deployment.init(row:))
    }

    public func deployment(uuid: UUID, for viewer: Viewer) async throws -> Deployment? {
        try await database.query("""
            SELECT \(Deployment.columns) FROM deployments d JOIN projects p ON p.uuid = d.project_uuid
            WHERE d.uuid = $1 AND ($2::bigint IS NULL OR p.user_id = $2)
            """, [.uuid(uuid), viewer.ownerFilter]).first.map(Deployment.init(row:))
    }

    /// Creates the deployment if the pipeline detects a new one; returns it either way.
    public func upsertDeployment(projectUUID: UUID, name: String) async throws -> Deployment {
        let name = try Validation.name(name, field: "name")
        let rows = try await database.query("""
            INSERT INTO deployments (project_uuid, name, config) VALUES ($1, $2, $3::jsonb)
            ON CONFLICT ON CONSTRAINT deployments_name_per_project DO UPDATE SET updated_at = deployments.updated_at
            RETURNING uuid, project_uuid, name, config::text AS config, created_at, updated_at
            """, [.uuid(projectUUID), .text(name), .json(DeploymentConfig.default.json)])
        return try Deployment(row: rows[0])
    }

    public func updateDeploymentConfig(uuid: UUID, for viewer: Viewer, config: DeploymentConfig) async throws -> Deployment? {
        try Validation.deploymentConfig(config)
        return try await database.query("""
            UPDATE deployments d SET config = d.config || $3::jsonb, updated_at = now()
            FROM projects p WHERE p.uuid = d.project_uuid AND d.uuid = $1 AND ($2::bigint IS NULL OR p.user_id = $2)
            RETURNING \(Deployment.columns)
            """, [.uuid(uuid), viewer.ownerFilter, .json(config.json)]).first.map(Deployment.init(row:))
    }

    // MARK: Releases

    public func releases(deploymentUUID: UUID, for viewer: Viewer, limit: Int = 50) async throws -> [Release]? {
        guard try await deployment(uuid: deploymentUUID, for: viewer) != nil else { return nil }
        return try await database.query("""
            SELECT r.id, r.deployment_uuid, r.version, r.commit_sha, r.status, r.config::text AS config, r.build_log_path,
                   r.description, r.created_at, u.username AS created_by
            FROM releases r LEFT JOIN users u ON u.id = r.created_by
            WHERE r.deployment_uuid = $1 ORDER BY r.version DESC LIMIT $2
            """, [.uuid(deploymentUUID), .int(Int64(limit))]).map(Release.init(row:))
    }
}

extension Release {
    init(row: PostgresRow) throws {
        let status = try row.decode("status", as: String.self)
        self.init(
            id: try row.decode("id", as: Int64.self),
            deploymentUUID: try row.decode("deployment_uuid", as: UUID.self),
            version: Int(try row.decode("version", as: Int64.self)),
            commitSHA: try row.decode("commit_sha", as: String.self),
            status: ReleaseStatus(rawValue: status) ?? .failed,
            config: try DeploymentConfig(json: row.decode("config", as: String.self)),
            buildLogPath: try row.decode("build_log_path", as: String?.self),
            createdBy: try row.decode("created_by", as: String?.self),
            description: try row.decode("description", as: String.self),
            createdAt: try row.decode("created_at", as: Date.self))
    }
}

extension Validation {
    /// Git's ref-name rules, the parts that matter for a branch a user types.
    public static func isBranchName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 100 && !name.hasPrefix("-") && !name.hasPrefix("/") && !name.hasSuffix("/")
            && !name.hasSuffix(".lock") && !name.contains("..") && !name.contains("//") && !name.contains("@{")
            && name.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value != 0x7F && !"~^:?*[\\".unicodeScalars.contains($0) }
    }
}
