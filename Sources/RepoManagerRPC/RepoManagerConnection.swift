import GRPCCore
import GRPCNIOTransportHTTP2

/// Written by hand (scripts/generate-grpc.sh keeps it): how every client reaches the repo manager.
public enum RepoManagerConnection {
    /// The default socket; `[paths] run_dir` moves it (PlatformConfiguration.Paths.repoManagerSocket).
    public static let defaultSocketPath = "/run/paastech/repo-manager.sock"

    /// Runs `body` with a client connected to the repo manager's Unix socket, and closes it afterwards.
    /// Failed calls throw `RPCError`: `.invalidArgument` for a bad project id or branch name, `.notFound`
    /// from GetRepository for a project without a repository, `.internalError` otherwise.
    public static func withClient<Result: Sendable>(
        socketPath: String,
        _ body: (Paastech_Repomanager_V1_RepoManager.Client<HTTP2ClientTransport.Posix>) async throws -> Result
    ) async throws -> Result {
        let transport = try HTTP2ClientTransport.Posix(target: .unixDomainSocket(path: socketPath), transportSecurity: .plaintext)
        return try await withGRPCClient(transport: transport) { client in
            try await body(Paastech_Repomanager_V1_RepoManager.Client(wrapping: client))
        }
    }
}
