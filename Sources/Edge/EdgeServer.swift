import Glibc
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOPosix
import NIOSSL
import ServiceLifecycle
import Systemd

/// The certificate for a TLS handshake: chosen by SNI name (nil when the client sent none).
public typealias ServerCertificateLookup = @Sendable (_ serverName: String?) -> (chain: [NIOSSLCertificate], key: NIOSSLPrivateKey)

/// The edge's listeners: plain HTTP (ACME challenges, then a 308 to HTTPS or, in dev mode, proxying)
/// and HTTPS (TLS 1.2+, the certificate chosen per SNI name, HTTP/2 or HTTP/1.1 by ALPN).
///
/// Both sockets are already listening (socket activation, or bound by the command); the server takes
/// them over. On graceful shutdown the listeners close, idle connections close, and answers in progress get
/// ``EdgeSettings/shutdownTimeout`` to finish.
public struct EdgeServer: Service {
    private let httpSocket: Int32?
    private let httpsSocket: Int32?
    private let environment: ProxyEnvironment
    private let certificates: ServerCertificateLookup?
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private let onListening: (@Sendable ([SocketAddress]) async -> Void)?
    private let beforeListening: (@Sendable () async -> Void)?

    /// - Parameters:
    ///   - httpSocket: A listening TCP socket for plain HTTP, or nil.
    ///   - httpsSocket: A listening TCP socket for HTTPS, or nil (then `certificates` is unused).
    ///   - routes: Host → backends.
    ///   - settings: Limits, timeouts, redirects.
    ///   - challengeAnswer: ACME HTTP-01 answers (token → key authorization).
    ///   - certificates: Picks the certificate of each TLS handshake.
    ///   - sleeping: Traffic of deployments that sleep when idle, and how to wake them (default: nothing wakes them).
    ///   - beforeListening: Awaited before the first connection is accepted (the route tables' first load).
    ///   - onListening: Called with the listening addresses once connections are accepted.
    public init(httpSocket: Int32?, httpsSocket: Int32?, routes: RouteTableStore, settings: EdgeSettings,
                challengeAnswer: @escaping @Sendable (String) -> String? = { _ in nil },
                certificates: ServerCertificateLookup?, metrics: EdgeMetrics = EdgeMetrics(),
                sleeping: SleepingDeployments? = nil, eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger,
                beforeListening: (@Sendable () async -> Void)? = nil, onListening: (@Sendable ([SocketAddress]) async -> Void)? = nil)
    {
        self.httpSocket = httpSocket
        self.httpsSocket = httpsSocket
        self.environment = ProxyEnvironment(routes: routes, settings: settings, challengeAnswer: challengeAnswer,
                                            metrics: metrics,
                                            sleeping: sleeping ?? SleepingDeployments(routes: routes, logger: logger, wake: nil),
                                            logger: logger)
        self.certificates = certificates
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        self.onListening = onListening
        self.beforeListening = beforeListening
    }

    public func run() async throws {
        await beforeListening?()
        var channels: [Channel] = []
        if let httpSocket {
            channels.append(try await listen(on: httpSocket, tls: nil))
        }
        if let httpsSocket, let certificates {
            channels.append(try await listen(on: httpsSocket, tls: try Self.tlsContext(certificates)))
        }
        let addresses = channels.compactMap(\.localAddress)
        logger.info("Edge listening", metadata: ["addresses": "\(addresses.map { "\($0)" }.joined(separator: " "))"])
        await onListening?(addresses)
        let listeners = channels
        await withGracefulShutdownHandler {
            for channel in listeners { try? await channel.closeFuture.get() }
        } onGracefulShutdown: {
            for channel in listeners { channel.close(promise: nil) }
        }
        let open = environment.connections.openCount
        let started = ContinuousClock.now
        await environment.connections.drain(timeout: .nanoseconds(environment.settings.shutdownTimeout.nanoseconds))
        logger.info("Edge stopped", metadata: ["connections_drained": "\(open)", "drain_ms": "\((ContinuousClock.now - started) / .milliseconds(1))"])
    }

    /// TLS 1.2 and 1.3 with BoringSSL's modern defaults, ALPN h2 then http/1.1, and the certificate picked
    /// per handshake from the SNI name.
    static func tlsContext(_ certificates: @escaping ServerCertificateLookup) throws -> NIOSSLContext {
        let fallback = certificates(nil)
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: fallback.chain.map { .certificate($0) }, privateKey: .privateKey(fallback.key))
        configuration.minimumTLSVersion = .tlsv12
        configuration.applicationProtocols = ["h2", "http/1.1"]
        configuration.sslContextCallback = { values, promise in
            let served = certificates(values.serverHostname)
            var override = NIOSSLContextConfigurationOverride()
            override.certificateChain = served.chain.map { .certificate($0) }
            override.privateKey = .privateKey(served.key)
            promise.succeed(override)
        }
        return try NIOSSLContext(configuration: configuration)
    }

    private func listen(on fd: Int32, tls: NIOSSLContext?) async throws -> Channel {
        let environment = self.environment
        // HTTP/2: GOAWAY on a graceful stop, then closed when the streams are done (or after the shutdown timeout).
        let http2Management = NIOHTTP2ServerConnectionManagementHandler.Configuration(
            maxIdleTime: nil, maxAge: nil, maxGraceTime: environment.settings.shutdownTimeout, keepalive: nil)
        let limits: NIOHTTPDecoderLimitConfiguration = {
            var limits = NIOHTTPDecoderLimitConfiguration()
            limits.maxHeaderListSize = environment.settings.maxHeaderBytes
            limits.maxHeaderFieldSize = environment.settings.maxHeaderBytes
            return limits
        }()
        let backlog: Int32 = 4096
        return try await ServerBootstrap(group: eventLoopGroup)
            .serverChannelInitializer { channel in
                // NIO calls listen(fd, 128) when it adopts a socket; raise the queue before the first accept.
                channel.eventLoop.makeCompletedFuture {
                    try SystemCall.retryingInterrupts("listen(fd \(fd), backlog \(backlog))") { Glibc.listen(fd, backlog) }
                }
            }
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: false)
            .childChannelInitializer { channel in
                environment.connections.track(channel)
                guard let tls else {
                    return channel.eventLoop.makeCompletedFuture {
                        try Self.addHTTP1(to: channel, scheme: "http", limits: limits, environment: environment)
                    }
                }
                do {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls))
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
                return channel.configureHTTP2SecureUpgrade(
                    h2ChannelConfigurator: { channel in
                        channel.configureHTTP2Pipeline(mode: .server, inboundStreamInitializer: { stream in
                            stream.eventLoop.makeCompletedFuture {
                                let sync = stream.pipeline.syncOperations
                                try sync.addHandler(HTTP2FramePayloadToHTTP1ServerCodec())
                                try sync.addHandler(ProxyHandler(environment: environment, scheme: "https", isHTTP2: true))
                            }
                        }).flatMapThrowing { _ in
                            try channel.pipeline.syncOperations.addHandler(
                                NIOHTTP2ServerConnectionManagementHandler(eventLoop: channel.eventLoop, configuration: http2Management))
                            // Negotiated after the stop began: the quiesce went by before this handler was there.
                            if environment.isStopping { channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent()) }
                        }
                    },
                    http1ChannelConfigurator: { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try Self.addHTTP1(to: channel, scheme: "https", limits: limits, environment: environment)
                        }
                    })
            }
            .withBoundSocket(NIOBSDSocket.Handle(fd))
            .get()
    }

    /// HTTP/1.1 (``ProxyHandler`` serialises pipelined requests itself), the decoder's head limits (431 past them), leftover bytes kept
    /// for protocol switches (an upgrade "handler" without upgraders does that), then the proxy. No outbound
    /// header validation: every name and value the proxy writes was parsed (and so checked) by the decoder
    /// on the way in, or is made by the edge itself.
    private static func addHTTP1(to channel: Channel, scheme: String, limits: NIOHTTPDecoderLimitConfiguration,
                                 environment: ProxyEnvironment) throws
    {
        let sync = channel.pipeline.syncOperations
        try sync.configureHTTPServerPipeline(
            withPipeliningAssistance: false, withServerUpgrade: (upgraders: [], completionHandler: { _ in }),
            withErrorHandling: false, withOutboundHeaderValidation: false,
            withEncoderConfiguration: HTTPResponseEncoder.Configuration(), withDecoderLimitConfiguration: limits)
        try sync.addHandler(ProxyHandler(environment: environment, scheme: scheme, isHTTP2: false))
    }
}
