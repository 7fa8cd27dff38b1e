import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import PlatformConfig
import PomegranateRPC
import RepoManagerRPC

/// The platform's other daemons, as the API asks them to follow project changes: the repo manager keeps
/// one bare repository per project, and Pomegranate runs the project's deployments.
public struct PlatformAgents: Sendable {
    /// `[paths] run_dir`/repo-manager.sock.
    public let repoManagerSocket: String
    /// `[paths] run_dir`/pomegranate.sock.
    public let pomegranateSocket: String

    public init(repoManagerSocket: String, pomegranateSocket: String) {
        self.repoManagerSocket = repoManagerSocket
        self.pomegranateSocket = pomegranateSocket
    }

    /// The sockets where the configuration puts them.
    public init(paths: PlatformConfiguration.Paths) {
        self.init(repoManagerSocket: paths.repoManagerSocket, pomegranateSocket: paths.pomegranateSocket)
    }

    /// Creates (or repairs) the project's repository with HEAD on `defaultBranch`.
    /// - Throws: ``APIError`` 503 when the repo manager cannot be reached or fails; the caller undoes the project.
    func createRepository(projectID: UUID, defaultBranch: String) async throws {
        var request = Paastech_Repomanager_V1_CreateRepositoryRequest()
        request.projectID = projectID.uuidString.lowercased()
        request.defaultBranch = defaultBranch
        try await repoManager("create the project's git repository") { _ = try await $0.createRepository(request) }
    }

    /// Deletes the project's repository; a repository that was already gone is fine.
    func deleteRepository(projectID: UUID) async throws {
        var request = Paastech_Repomanager_V1_DeleteRepositoryRequest()
        request.projectID = projectID.uuidString.lowercased()
        try await repoManager("delete the project's git repository") { _ = try await $0.deleteRepository(request) }
    }

    /// Stops every instance of each deployment (Pomegranate also forgets them, so they do not come back).
    /// - Throws: ``APIError`` 503 when Pomegranate cannot be reached.
    func stopDeployments(_ ids: [UUID]) async throws {
        guard !ids.isEmpty else { return }
        do {
            try await PomegranateConnection.withClient(socketPath: pomegranateSocket) { pomegranate in
                try await pomegranate.stopDeployments(ids.map { $0.uuidString.lowercased() })
            }
        } catch {
            throw APIError(.serviceUnavailable, code: "agent_unavailable",
                           "could not stop the project's apps (\(Self.describe(error))); nothing was deleted, try again")
        }
    }

    /// What Pomegranate runs of a deployment now; nil when it runs nothing of it (never deployed, or stopped).
    /// - Throws: ``APIError`` 503 when Pomegranate cannot be reached.
    func status(deploymentID: UUID) async throws -> Paastech_Pomegranate_V1_DeploymentStatus? {
        var request = Paastech_Pomegranate_V1_StatusRequest()
        request.deploymentID = deploymentID.uuidString.lowercased()
        do {
            return try await PomegranateConnection.withClient(socketPath: pomegranateSocket) {
                try await $0.instances.status(request).deployments.first
            }
        } catch {
            throw APIError(.serviceUnavailable, code: "agent_unavailable", "could not ask pomegranate (\(Self.describe(error)))")
        }
    }

    /// A deployment's memory and CPU over the last hour (the minute in progress last).
    func usage(deploymentID: UUID) async throws -> [Paastech_Pomegranate_V1_UsageMinute] {
        var request = Paastech_Pomegranate_V1_UsageRequest()
        request.deploymentID = deploymentID.uuidString.lowercased()
        return try await PomegranateConnection.withClient(socketPath: pomegranateSocket) { try await $0.usage.usage(request).minutes }
    }

    /// Every deployment Pomegranate runs.
    func allStatuses() async throws -> [Paastech_Pomegranate_V1_DeploymentStatus] {
        try await PomegranateConnection.withClient(socketPath: pomegranateSocket) {
            try await $0.instances.status(Paastech_Pomegranate_V1_StatusRequest()).deployments
        }
    }

    /// A deployment's log lines (its instances, builds and platform events), oldest first: the last `tail`,
    /// then, with `follow`, each new line until `each` throws or the caller is cancelled.
    func logs(deploymentID: UUID, instance: String?, tail: Int, follow: Bool,
              each: @escaping @Sendable (Paastech_Pomegranate_V1_LogLine) async throws -> Void) async throws {
        var request = Paastech_Pomegranate_V1_LogsRequest()
        request.deploymentID = deploymentID.uuidString.lowercased()
        request.instanceID = instance ?? ""
        request.tail = UInt32(clamping: tail)
        request.follow = follow
        try await PomegranateConnection.withClient(socketPath: pomegranateSocket) { pomegranate in
            try await pomegranate.logs.logs(request) { response in
                for try await line in response.messages { try await each(line) }
            }
        }
    }

    private func repoManager(
        _ what: String,
        _ call: (Paastech_Repomanager_V1_RepoManager.Client<HTTP2ClientTransport.Posix>) async throws -> Void
    ) async throws {
        do {
            try await RepoManagerConnection.withClient(socketPath: repoManagerSocket, call)
        } catch {
            throw APIError(.serviceUnavailable, code: "agent_unavailable", "could not \(what) (\(Self.describe(error))); nothing changed, try again")
        }
    }

    private static func describe(_ error: any Error) -> String {
        (error as? RPCError).map { "\($0.code): \($0.message)" } ?? "\(error)"
    }
}
