import Foundation
import Hummingbird
import Store

// The JSON shapes of the API, spelled out (snake_case keys) so the wire format never changes by
// accident when a Swift property is renamed. They match docs in Embedded/openapi.json.

struct UserBody: ResponseCodable {
    var id: Int64
    var username: String
    var email: String
    var isAdmin: Bool
    var emailVerified: Bool
    var pendingEmail: String?
    var disabled: Bool
    var createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id, username, email, isAdmin = "is_admin", emailVerified = "email_verified",
             pendingEmail = "pending_email", disabled, createdAt = "created_at"
    }

    init(_ user: User) {
        id = user.id; username = user.username; email = user.email; isAdmin = user.isAdmin
        emailVerified = user.emailVerified; pendingEmail = user.pendingEmail; disabled = user.disabled; createdAt = user.createdAt
    }
}

struct LoginBody: ResponseCodable {
    var token: String
    var expiresAt: Date
    var user: UserBody
    enum CodingKeys: String, CodingKey { case token, expiresAt = "expires_at", user }
}

struct SSHKeyBody: ResponseCodable {
    var id: Int64
    var type: String
    var fingerprint: String
    var comment: String
    var value: String
    var createdAt: Date
    var lastUsedAt: Date?
    enum CodingKeys: String, CodingKey {
        case id, type, fingerprint, comment, value, createdAt = "created_at", lastUsedAt = "last_used_at"
    }

    init(_ key: SSHKey) {
        id = key.id; type = key.keyType; fingerprint = key.fingerprint; comment = key.comment; value = key.value
        createdAt = key.createdAt; lastUsedAt = key.lastUsedAt
    }
}

struct APITokenBody: ResponseCodable {
    var id: Int64
    var name: String
    /// Only in the answer to the creating request: the token is never shown again.
    var token: String?
    var createdAt: Date
    var expiresAt: Date?
    var lastUsedAt: Date?
    enum CodingKeys: String, CodingKey {
        case id, name, token, createdAt = "created_at", expiresAt = "expires_at", lastUsedAt = "last_used_at"
    }

    init(_ token: APIToken, secret: String? = nil) {
        id = token.id; name = token.name; self.token = secret; createdAt = token.createdAt
        expiresAt = token.expiresAt; lastUsedAt = token.lastUsedAt
    }
}

struct ProjectBody: ResponseCodable {
    var uuid: UUID
    var name: String
    var owner: String
    var defaultBranch: String
    var gitRemote: String
    var createdAt: Date
    var updatedAt: Date
    enum CodingKeys: String, CodingKey {
        case uuid, name, owner, defaultBranch = "default_branch", gitRemote = "git_remote",
             createdAt = "created_at", updatedAt = "updated_at"
    }

    init(_ project: Project, gitHost: String) {
        uuid = project.uuid; name = project.name; owner = project.ownerUsername; defaultBranch = project.defaultBranch
        gitRemote = "ssh://git@\(gitHost)/\(project.ownerUsername)/\(project.name).git"
        createdAt = project.createdAt; updatedAt = project.updatedAt
    }
}

struct DeploymentConfigBody: Codable {
    var env: [String: String]
    var instances: Int
    var memoryMB: Int
    var cpu: Double
    enum CodingKeys: String, CodingKey { case env, instances, memoryMB = "memory_mb", cpu }

    init(_ config: DeploymentConfig) {
        env = config.env; instances = config.instances; memoryMB = config.memoryMB; cpu = config.cpu
    }
}

struct DeploymentBody: ResponseCodable {
    var uuid: UUID
    var projectUUID: UUID
    var name: String
    var config: DeploymentConfigBody
    var url: String
    var createdAt: Date
    var updatedAt: Date
    /// After a configuration change of a running deployment: the release it made, and the pipeline's lines.
    var release: ReleaseBody?
    var output: [String]?
    /// The newest release, whatever its status (in lists and GET): what the console shows as the deployment's state.
    var latestRelease: ReleaseBody?
    enum CodingKeys: String, CodingKey {
        case uuid, projectUUID = "project_uuid", name, config, url, createdAt = "created_at", updatedAt = "updated_at", release, output,
             latestRelease = "latest_release"
    }

    init(_ deployment: Deployment, url: String) {
        uuid = deployment.uuid; projectUUID = deployment.projectUUID; name = deployment.name
        config = DeploymentConfigBody(deployment.config); self.url = url
        createdAt = deployment.createdAt; updatedAt = deployment.updatedAt
    }
}

struct ReleaseBody: ResponseCodable {
    var id: Int64
    var version: Int
    var commitSHA: String
    var status: String
    var config: DeploymentConfigBody
    var createdBy: String?
    var description: String
    var createdAt: Date
    enum CodingKeys: String, CodingKey {
        case id, version, commitSHA = "commit_sha", status, config, createdBy = "created_by", description,
             createdAt = "created_at"
    }

    init(_ release: Release) {
        id = release.id; version = release.version; commitSHA = release.commitSHA; status = release.status.rawValue
        config = DeploymentConfigBody(release.config); createdBy = release.createdBy; description = release.description
        createdAt = release.createdAt
    }
}

struct DomainBody: ResponseCodable {
    var hostname: String
    var certificateStatus: String
    var certificateExpiresAt: Date?
    var certificateError: String?
    var createdAt: Date
    enum CodingKeys: String, CodingKey {
        case hostname, certificateStatus = "certificate_status", certificateExpiresAt = "certificate_expires_at",
             certificateError = "certificate_error", createdAt = "created_at"
    }

    init(_ domain: Domain) {
        hostname = domain.hostname; certificateStatus = domain.certificateStatus.rawValue
        certificateExpiresAt = domain.certificateExpiresAt; certificateError = domain.certificateError; createdAt = domain.createdAt
    }
}

struct AuditEntryBody: ResponseCodable {
    var id: Int64
    var at: Date
    var actor: String
    var action: String
    var target: String
    var remoteAddress: String
    enum CodingKeys: String, CodingKey { case id, at, actor, action, target, remoteAddress = "remote_address" }

    init(_ entry: AuditEntry) {
        id = entry.id; at = entry.at; actor = entry.actorName; action = entry.action; target = entry.target
        remoteAddress = entry.remoteAddress
    }
}

/// A JSON array answer: `{"items": [...]}` leaves room for paging fields later.
struct ListBody<Item: Codable & Sendable>: ResponseCodable {
    var items: [Item]
}
