import GRPCCore
import GRPCNIOTransportHTTP2

/// Written by hand (scripts/generate-grpc.sh keeps it): how every client reaches pomegranate.
public enum PomegranateConnection {
    /// The default socket; `[paths] run_dir` moves it (PlatformConfiguration.Paths.pomegranateSocket).
    public static let defaultSocketPath = "/run/paastech/pomegranate.sock"

    /// Runs `body` with clients of pomegranate's services on one connection to its Unix socket, and closes
    /// it afterwards.
    public static func withClient<Result: Sendable>(
        socketPath: String,
        _ body: (PomegranateClient) async throws -> Result
    ) async throws -> Result {
        let transport = try HTTP2ClientTransport.Posix(target: .unixDomainSocket(path: socketPath), transportSecurity: .plaintext)
        return try await withGRPCClient(transport: transport) { client in
            try await body(PomegranateClient(wrapping: client))
        }
    }
}

/// Pomegranate's services, one per concern (Protos/paastech/pomegranate/), sharing one connection.
public struct PomegranateClient: Sendable {
    public typealias Transport = HTTP2ClientTransport.Posix
    /// Builds in sandboxes.
    public let builds: Paastech_Pomegranate_V1_Builds.Client<Transport>
    /// Deploy, promote, stop releases.
    public let releases: Paastech_Pomegranate_V1_Releases.Client<Transport>
    /// Scale and status of instances.
    public let instances: Paastech_Pomegranate_V1_Instances.Client<Transport>
    /// Sleeping deployments: traffic reports and waking.
    public let sleep: Paastech_Pomegranate_V1_Sleep.Client<Transport>
    /// Memory and CPU over the last hour.
    public let usage: Paastech_Pomegranate_V1_ResourceUsage.Client<Transport>
    /// Deployment logs.
    public let logs: Paastech_Pomegranate_V1_Logs.Client<Transport>
    /// One-off commands in instances.
    public let sessions: Paastech_Pomegranate_V1_Sessions.Client<Transport>
    /// The route table.
    public let routes: Paastech_Pomegranate_V1_Routes.Client<Transport>

    public init(wrapping client: GRPCClient<Transport>) {
        builds = .init(wrapping: client)
        releases = .init(wrapping: client)
        instances = .init(wrapping: client)
        sleep = .init(wrapping: client)
        usage = .init(wrapping: client)
        logs = .init(wrapping: client)
        sessions = .init(wrapping: client)
        routes = .init(wrapping: client)
    }
}

extension PomegranateClient {
    /// Stops every instance of each deployment (Pomegranate also forgets them, so they do not come back).
    public func stopDeployments(_ ids: [String]) async throws {
        for id in ids {
            var request = Paastech_Pomegranate_V1_StopRequest()
            request.deploymentID = id
            _ = try await releases.stop(request)
        }
    }
}
