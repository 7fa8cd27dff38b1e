import Foundation

/// A person with an account. `password` (the scrypt hash string) never leaves the Store.
public struct User: Sendable, Equatable, Codable {
    public var id: Int64
    public var username: String
    public var email: String
    public var isAdmin: Bool
    public var emailVerified: Bool
    public var pendingEmail: String?
    public var disabled: Bool
    public var createdAt: Date
    public var updatedAt: Date
}

/// An SSH public key that may push to its owner's projects.
public struct SSHKey: Sendable, Equatable, Codable {
    public var id: Int64
    public var userID: Int64
    public var value: String
    public var fingerprint: String
    public var keyType: String
    public var comment: String
    public var createdAt: Date
    public var lastUsedAt: Date?
}

/// A git repository and the deployments detected in it.
public struct Project: Sendable, Equatable, Codable {
    public var uuid: UUID
    public var name: String
    public var userID: Int64
    public var ownerUsername: String
    public var defaultBranch: String
    public var createdAt: Date
    public var updatedAt: Date
}

/// One runnable service of a project (`web`, `worker`, ...).
public struct Deployment: Sendable, Equatable, Codable {
    public var uuid: UUID
    public var projectUUID: UUID
    public var name: String
    public var config: DeploymentConfig
    public var createdAt: Date
    public var updatedAt: Date
}

/// What a user may change about a deployment. Stored as the `deployments.config` JSON object;
/// keys a later version adds are kept by `extra` so an older binary never drops them.
public struct DeploymentConfig: Sendable, Equatable, Codable {
    public var env: [String: String]
    public var instances: Int
    /// Memory limit in MiB.
    public var memoryMB: Int
    /// CPU quota in cores (0.5 = half a core).
    public var cpu: Double

    public static let `default` = DeploymentConfig(env: [:], instances: 1, memoryMB: 256, cpu: 1)

    public init(env: [String: String], instances: Int, memoryMB: Int, cpu: Double) {
        self.env = env
        self.instances = instances
        self.memoryMB = memoryMB
        self.cpu = cpu
    }

    enum CodingKeys: String, CodingKey {
        case env, instances, memoryMB = "memory_mb", cpu
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = DeploymentConfig.default
        env = try container.decodeIfPresent([String: String].self, forKey: .env) ?? defaults.env
        instances = try container.decodeIfPresent(Int.self, forKey: .instances) ?? defaults.instances
        memoryMB = try container.decodeIfPresent(Int.self, forKey: .memoryMB) ?? defaults.memoryMB
        cpu = try container.decodeIfPresent(Double.self, forKey: .cpu) ?? defaults.cpu
    }
}

/// Status of a release as it moves through the pipeline.
public enum ReleaseStatus: String, Sendable, Codable, CaseIterable {
    case pending, building, built, deploying, live, superseded, failed
}

/// An immutable build of one commit plus a config snapshot.
public struct Release: Sendable, Equatable, Codable {
    public var id: Int64
    public var deploymentUUID: UUID
    public var version: Int
    public var commitSHA: String
    public var status: ReleaseStatus
    public var config: DeploymentConfig
    public var buildLogPath: String?
    public var createdBy: String?
    public var description: String
    public var createdAt: Date
}

/// A personal API token's metadata; the token itself is shown once and stored hashed.
public struct APIToken: Sendable, Equatable, Codable {
    public var id: Int64
    public var userID: Int64
    public var name: String
    public var createdAt: Date
    public var expiresAt: Date?
    public var lastUsedAt: Date?
}

/// One line of the audit trail.
public struct AuditEntry: Sendable, Equatable, Codable {
    public var id: Int64
    public var at: Date
    public var actorName: String
    public var action: String
    public var target: String
    public var remoteAddress: String
}

/// The state of a custom domain's TLS certificate, as the edge last reported it.
public enum CertificateStatus: String, Sendable, Codable, CaseIterable {
    case pending, issued, failed, expired
}

/// A custom host name (`shop.example.com`) the edge routes to a deployment, besides the generated
/// `<deployment>.<project>.<apps_domain>`. Unique across the platform.
public struct Domain: Sendable, Equatable, Codable {
    public var id: Int64
    /// Lower case, without a trailing dot (see ``Validation/hostname(_:)``).
    public var hostname: String
    public var deploymentUUID: UUID
    public var certificateStatus: CertificateStatus
    public var certificateExpiresAt: Date?
    /// Why the edge's last attempt to get a certificate failed, if it did.
    public var certificateError: String?
    public var createdAt: Date
    public var updatedAt: Date
}

/// A host name the edge routes to a deployment besides the generated one: a custom domain, or
/// `<project>.<apps_domain>` for a project with exactly one deployment.
public struct EdgeHost: Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// A row of `domains`, added by the project's owner.
        case custom
        /// `<project>.<apps_domain>`, the short name of a single-deployment project.
        case project
    }

    public var host: String
    public var projectUUID: UUID
    public var deploymentUUID: UUID
    public var kind: Kind

    public init(host: String, projectUUID: UUID, deploymentUUID: UUID, kind: Kind) {
        self.host = host
        self.projectUUID = projectUUID
        self.deploymentUUID = deploymentUUID
        self.kind = kind
    }
}
