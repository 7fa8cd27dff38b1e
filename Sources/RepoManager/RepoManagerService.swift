import GRPCCore
import Logging
import RepoManagerRPC
import Systemd

/// The gRPC face of the ``RepositoryStore``: each call runs the store on its own thread (libgit2 and the
/// file system block) and turns its errors into gRPC status codes with the message intact.
public struct RepoManagerService: Paastech_Repomanager_V1_RepoManager.SimpleServiceProtocol {
    let store: RepositoryStore
    let logger: Logger

    /// - Parameters:
    ///   - store: The repositories this service manages.
    ///   - logger: Where created and deleted repositories, and internal errors, are logged.
    public init(store: RepositoryStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    public func createRepository(request: Paastech_Repomanager_V1_CreateRepositoryRequest, context: ServerContext) async throws
        -> Paastech_Repomanager_V1_Repository {
        let info = try await run("create the repository of project \(request.projectID)") { [store] in
            try store.create(projectID: request.projectID, defaultBranch: request.defaultBranch)
        }
        logger.info("repository ready", metadata: ["project": "\(info.projectID)", "path": "\(info.path)",
                                                   "default_branch": "\(info.defaultBranch)"])
        return Paastech_Repomanager_V1_Repository(info)
    }

    public func deleteRepository(request: Paastech_Repomanager_V1_DeleteRepositoryRequest, context: ServerContext) async throws
        -> Paastech_Repomanager_V1_DeleteRepositoryResponse {
        let existed = try await run("delete the repository of project \(request.projectID)") { [store] in
            try store.delete(projectID: request.projectID)
        }
        logger.info("repository deleted", metadata: ["project": "\(request.projectID)", "existed": "\(existed)"])
        var response = Paastech_Repomanager_V1_DeleteRepositoryResponse()
        response.existed = existed
        return response
    }

    public func getRepository(request: Paastech_Repomanager_V1_GetRepositoryRequest, context: ServerContext) async throws
        -> Paastech_Repomanager_V1_Repository {
        let info = try await run("describe the repository of project \(request.projectID)") { [store] in
            try store.info(projectID: request.projectID)
        }
        guard let info else {
            throw RPCError(code: .notFound, message: "project \(request.projectID) has no repository")
        }
        return Paastech_Repomanager_V1_Repository(info)
    }

    /// Runs blocking `work` on a thread of its own, off Swift's small cooperative pool, and maps its errors.
    private func run<Result: Sendable>(_ operation: String, _ work: @escaping @Sendable () throws -> Result) async throws -> Result {
        do {
            return try await withCheckedThrowingContinuation { continuation in
                do {
                    try DetachedThread.start { continuation.resume(with: Swift.Result { try work() }) }
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        } catch {
            throw mapped(error, operation: operation)
        }
    }

    /// Requests we refuse are the caller's fault (invalidArgument); everything else is ours (internalError),
    /// logged here because the caller only sees the message.
    private func mapped(_ error: any Error, operation: String) -> RPCError {
        switch error {
        case let error as RepositoryError:
            switch error {
            case .invalidProjectID, .invalidBranchName:
                return RPCError(code: .invalidArgument, message: error.description)
            case .commitNotFound:
                return RPCError(code: .notFound, message: error.description)
            case .invalidHookCommand, .notARepository, .exportDirectoryNotEmpty, .unsafeTreeEntry:
                break
            }
        default:
            break
        }
        logger.error("failed", metadata: ["operation": "\(operation)", "error": "\(error)"])
        return RPCError(code: .internalError, message: "\(operation): \(error)")
    }
}

extension Paastech_Repomanager_V1_Repository {
    init(_ info: RepositoryInfo) {
        self.init()
        projectID = info.projectID
        path = info.path
        defaultBranch = info.defaultBranch
        branches = info.branches.map { branch in
            var message = Paastech_Repomanager_V1_Branch()
            message.name = branch.name
            message.commit = branch.commit
            return message
        }
        sizeBytes = info.sizeBytes
    }
}
