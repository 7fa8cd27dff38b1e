import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import ServiceLifecycle

/// The gRPC server on pomegranate's Unix socket, as a service of the daemon's ServiceGroup.
/// Shutting it down stops serving requests; it never stops app instances (live restore).
public struct PomegranateServer: Service {
    let server: GRPCServer<HTTP2ServerTransport.Posix>

    /// - Parameter socket: A bound, listening Unix socket; the server takes ownership.
    public init(service: PomegranateService, socket: Int32) {
        server = GRPCServer(
            transport: .http2NIOPosix(listeningSocketDescriptor: Int(socket), transportSecurity: .plaintext),
            services: service.rpcServices)
    }

    public func run() async throws {
        try await withGracefulShutdownHandler {
            try await server.serve()
        } onGracefulShutdown: {
            server.beginGracefulShutdown()
        }
    }
}
