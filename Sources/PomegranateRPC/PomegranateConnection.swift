import GRPCCore
import GRPCNIOTransportHTTP2

/// Written by hand (scripts/generate-grpc.sh keeps it): how every client reaches pomegranate.
public enum PomegranateConnection {
    /// The default socket; `[paths] run_dir` moves it (PlatformConfiguration.Paths.pomegranateSocket).
    public static let defaultSocketPath = "/run/paastech/pomegranate.sock"

    /// Runs `body` with a client connected to pomegranate's Unix socket, and closes it afterwards.
    public static func withClient<Result: Sendable>(
        socketPath: String,
        _ body: (Paastech_Pomegranate_V1_Pomegranate.Client<HTTP2ClientTransport.Posix>) async throws -> Result
    ) async throws -> Result {
        let transport = try HTTP2ClientTransport.Posix(target: .unixDomainSocket(path: socketPath), transportSecurity: .plaintext)
        return try await withGRPCClient(transport: transport) { client in
            try await body(Paastech_Pomegranate_V1_Pomegranate.Client(wrapping: client))
        }
    }
}
