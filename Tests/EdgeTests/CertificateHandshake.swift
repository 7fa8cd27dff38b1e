import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS

/// A real TLS handshake over loopback: a NIO server with the given configuration, a NIOSSL client
/// sending `serverName` as SNI. Returns the certificate the server presented.
enum CertificateHandshake {
    static func presentedCertificate(
        server serverConfiguration: TLSConfiguration,
        serverName: String?,
        client clientConfiguration: TLSConfiguration
    ) async throws -> NIOSSLCertificate? {
        let group = MultiThreadedEventLoopGroup.singleton
        let serverContext = try NIOSSLContext(configuration: serverConfiguration)
        let clientContext = try NIOSSLContext(configuration: clientConfiguration)
        let server = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: serverContext))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { server.close(promise: nil) }
        guard let port = server.localAddress?.port else { throw CertificateTestFailure("the test server has no port") }
        let handshake = group.next().makePromise(of: Void.self)
        let client = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: clientContext, serverHostname: serverName))
                    try channel.pipeline.syncOperations.addHandler(HandshakeObserver(promise: handshake))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        defer { client.close(promise: nil) }
        try await handshake.futureResult.get()
        return try await client.nioSSL_peerCertificate().get()
    }

    /// Completes its promise when the TLS handshake ends, either way.
    private final class HandshakeObserver: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let promise: EventLoopPromise<Void>

        init(promise: EventLoopPromise<Void>) { self.promise = promise }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if let event = event as? TLSUserEvent, case .handshakeCompleted = event { promise.succeed() }
            context.fireUserInboundEventTriggered(event)
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            promise.fail(error)
            context.close(promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            promise.fail(CertificateTestFailure("the connection closed before the handshake completed"))
            context.fireChannelInactive()
        }
    }
}
