import GRPCCore
import GRPCNIOTransportHTTP2
import ServiceLifecycle

/// The gRPC server on the repo manager's Unix socket, as a service of the daemon's ServiceGroup.
public struct RepoManagerServer: Service {
    let server: GRPCServer<HTTP2ServerTransport.Posix>

    /// - Parameters:
    ///   - service: The RepoManager service to serve.
    ///   - socket: A bound, listening Unix socket; the server takes ownership.
    public init(service: RepoManagerService, socket: Int32) {
        server = GRPCServer(
            transport: .http2NIOPosix(listeningSocketDescriptor: Int(socket), transportSecurity: .plaintext),
            services: [service])
    }

    /// Serves until graceful shutdown (requests in flight finish) or cancellation.
    public func run() async throws {
        try await withGracefulShutdownHandler {
            try await server.serve()
        } onGracefulShutdown: {
            server.beginGracefulShutdown()
        }
    }
}
