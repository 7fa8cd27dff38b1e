import Foundation
import Logging
import Postgres

/// Typed access to the platform's tables. Every query is parameterised; every object query
/// that a user can reach is scoped by owner so that another user's object reads as absent.
public struct PlatformStore: Sendable {
    public let database: PostgresClient

    public init(database: PostgresClient) {
        self.database = database
    }

    /// Turns a unique violation into a `StoreError.conflict` naming the field, using the
    /// constraint names declared in the migrations.
    static func mapConflicts<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PostgresError where error.isUniqueViolation {
            throw conflict(for: error.constraint ?? "")
        }
    }

    private static func conflict(for constraint: String) -> StoreError {
        switch constraint {
        case "users_username_key": .conflict(field: "username", message: "that username is taken")
        case "users_email_key", "users_email_lower_idx": .conflict(field: "email", message: "that email address is already registered")
        case "ssh_keys_fingerprint_key": .conflict(field: "key", message: "this SSH key is already registered (keys are unique across the platform)")
        case "projects_name_key": .conflict(field: "name", message: "a project with that name already exists on this platform (names are part of the app's host name)")
        case "deployments_name_per_project": .conflict(field: "name", message: "the project already has a deployment with that name")
        case "domains_hostname_key": .conflict(field: "hostname", message: "that host name is already attached to a deployment (custom domains are unique across the platform)")
        default: .conflict(field: "", message: "that value is already in use")
        }
    }
}

// MARK: - Row decoding shared by the Store's queries

extension User {
    /// Columns every user query selects, in the `u.` alias.
    static let columns = """
        u.id, u.username, u.email, u.is_admin, u.email_verified_at IS NOT NULL AS email_verified,
        u.pending_email, u.disabled_at IS NOT NULL AS disabled, u.created_at, u.updated_at
        """

    init(row: PostgresRow) throws {
        self.init(
            id: try row.decode("id", as: Int64.self),
            username: try row.decode("username", as: String.self),
            email: try row.decode("email", as: String.self),
            isAdmin: try row.decode("is_admin", as: Bool.self),
            emailVerified: try row.decode("email_verified", as: Bool.self),
            pendingEmail: try row.decode("pending_email", as: String?.self),
            disabled: try row.decode("disabled", as: Bool.self),
            createdAt: try row.decode("created_at", as: Date.self),
            updatedAt: try row.decode("updated_at", as: Date.self))
    }
}

extension Project {
    static let columns = "p.uuid, p.name, p.user_id, owner.username AS owner_username, p.default_branch, p.created_at, p.updated_at"
    static let from = "projects p JOIN users owner ON owner.id = p.user_id"

    init(row: PostgresRow) throws {
        self.init(
            uuid: try row.decode("uuid", as: UUID.self),
            name: try row.decode("name", as: String.self),
            userID: try row.decode("user_id", as: Int64.self),
            ownerUsername: try row.decode("owner_username", as: String.self),
            defaultBranch: try row.decode("default_branch", as: String.self),
            createdAt: try row.decode("created_at", as: Date.self),
            updatedAt: try row.decode("updated_at", as: Date.self))
    }
}

extension DeploymentConfig {
    init(json: String) throws {
        self = try JSONDecoder().decode(DeploymentConfig.self, from: Data(json.utf8))
    }

    var json: String {
        // Sorted keys keep stored JSON stable, which makes release snapshots comparable.
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }
}

extension Deployment {
    static let columns = "d.uuid, d.project_uuid, d.name, d.config::text AS config, d.created_at, d.updated_at"

    init(row: PostgresRow) throws {
        self.init(
            uuid: try row.decode("uuid", as: UUID.self),
            projectUUID: try row.decode("project_uuid", as: UUID.self),
            name: try row.decode("name", as: String.self),
            config: try DeploymentConfig(json: row.decode("config", as: String.self)),
            createdAt: try row.decode("created_at", as: Date.self),
            updatedAt: try row.decode("updated_at", as: Date.self))
    }
}
