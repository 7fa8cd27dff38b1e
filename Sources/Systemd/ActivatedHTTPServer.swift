import Glibc
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// A Hummingbird HTTP/1.1 server on a socket that is already listening: one adopted through socket
/// activation (``SocketActivation/takeListeners()``) or made by ``ListeningSocket``.
///
/// Hummingbird's `Application` can only bind addresses itself, so this service reuses its pieces instead:
/// `HTTP1Channel` for each connection and the same request handling (`RequestID` logger metadata, `Date`
/// header, errors that are not `HTTPResponseError`s become `500`). Routers work unchanged. The context is
/// built from `ApplicationRequestContextSource`, whose `channel` gives the peer's address and, on Unix
/// sockets, its ``PeerCredentials`` (read once per connection, at accept).
///
/// Graceful shutdown stops accepting, lets in-flight requests finish (idle keep-alive connections are
/// closed), then `run()` returns. The server owns the fd from `run()` on and closes it; run it once.
public struct ActivatedHTTPServer<Responder: HTTPResponder>: Service
where Responder.Context: InitializableFromSource<ApplicationRequestContextSource> {
    private let responder: Responder
    private let fd: Int32
    private let http1: HTTP1Channel.Configuration
    private let serverName: String?
    private let backlog: Int32
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private let onServerRunning: (@Sendable (any Channel) async -> Void)?

    /// - Parameters:
    ///   - responder: Answers requests, e.g. `router.buildResponder()`.
    ///   - fd: A listening stream socket (TCP or Unix). The server takes ownership.
    ///   - http1: Hummingbird's HTTP/1 settings (idle timeout, extra channel handlers).
    ///   - serverName: Value of the `Server` response header, if any.
    ///   - backlog: Listen backlog applied to the socket before serving (at least 1024 recommended).
    ///   - eventLoopGroup: Where connections run.
    ///   - logger: Server and request logger.
    ///   - onServerRunning: Called with the server channel once connections are being accepted.
    public init(
        responder: Responder,
        socket fd: Int32,
        http1: HTTP1Channel.Configuration = .init(),
        serverName: String? = nil,
        backlog: Int32 = 1024,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger,
        onServerRunning: (@Sendable (any Channel) async -> Void)? = nil
    ) {
        self.responder = responder
        self.fd = fd
        self.http1 = http1
        self.serverName = serverName
        self.backlog = backlog
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        self.onServerRunning = onServerRunning
    }

    /// - Parameters:
    ///   - router: Answers requests, e.g. a Hummingbird `Router<Context>`.
    ///   - fd: A listening stream socket (TCP or Unix). The server takes ownership.
    ///   - http1: Hummingbird's HTTP/1 settings (idle timeout, extra channel handlers).
    ///   - serverName: Value of the `Server` response header, if any.
    ///   - backlog: Listen backlog applied to the socket before serving (at least 1024 recommended).
    ///   - eventLoopGroup: Where connections run.
    ///   - logger: Server and request logger.
    ///   - onServerRunning: Called with the server channel once connections are being accepted.
    public init<Builder: HTTPResponderBuilder>(
        router: Builder,
        socket fd: Int32,
        http1: HTTP1Channel.Configuration = .init(),
        serverName: String? = nil,
        backlog: Int32 = 1024,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger,
        onServerRunning: (@Sendable (any Channel) async -> Void)? = nil
    ) where Builder.Responder == Responder {
        self.init(
            responder: router.buildResponder(), socket: fd, http1: http1, serverName: serverName, backlog: backlog,
            eventLoopGroup: eventLoopGroup, logger: logger, onServerRunning: onServerRunning
        )
    }

    /// A server for `router` on an activated socket, with default settings.
    public static func serving<Builder: HTTPResponderBuilder>(
        router: Builder,
        on socket: ActivatedSocket,
        logger: Logger
    ) -> Self where Builder.Responder == Responder {
        Self(responder: router.buildResponder(), socket: socket.fd, logger: logger)
    }

    /// A server for `router` on a listening socket fd, with default settings.
    public static func serving<Builder: HTTPResponderBuilder>(
        router: Builder,
        on fd: Int32,
        logger: Logger
    ) -> Self where Builder.Responder == Responder {
        Self(responder: router.buildResponder(), socket: fd, logger: logger)
    }

    /// Serves until graceful shutdown (then drains in-flight requests) or cancellation.
    public func run() async throws {
        let logger = self.logger
        let fd = self.fd
        let backlog = self.backlog
        let childChannel = HTTP1Channel(responder: makeChannelResponder(), configuration: http1)
        let connections = ConnectionTracker()
        let serverChannel = try await ServerBootstrap(group: eventLoopGroup)
            .serverChannelInitializer { channel in
                // The socket already listens with its parent's backlog, and NIO calls listen(fd, 128) when it
                // adopts it (ChannelOptions.backlog does not apply to adopted sockets). Calling listen() again
                // here, before the first accept, raises the queue to ours.
                channel.eventLoop.makeCompletedFuture {
                    try SystemCall.retryingInterrupts("listen(fd \(fd), backlog \(backlog))") { listen(fd, backlog) }
                }
            }
            .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .bind(NIOBSDSocket.Handle(fd)) { channel in
                PeerCredentials.record(for: channel, logger: logger).flatMap {
                    childChannel.setup(channel: channel, logger: logger)
                }
            }
        let address = serverChannel.channel.localAddress.map { "\($0)" } ?? "fd \(fd)"
        logger.info("HTTP server listening", metadata: ["address": "\(address)"])

        await withGracefulShutdownHandler {
            await onServerRunning?(serverChannel.channel)
            await withDiscardingTaskGroup { group in
                do {
                    try await serverChannel.executeThenClose { inbound in
                        for try await connection in inbound {
                            group.addTask {
                                connections.opened(connection.channel)
                                await childChannel.handle(value: connection, logger: logger)
                                connections.closed(connection.channel)
                            }
                        }
                    }
                } catch {
                    logger.error("HTTP server stopped accepting connections", metadata: ["error": "\(error)"])
                }
            }
        } onGracefulShutdown: {
            logger.info("HTTP server shutting down; finishing in-flight requests", metadata: ["address": "\(address)"])
            serverChannel.channel.close(promise: nil)
            connections.quiesce()
        }
        logger.info("HTTP server stopped", metadata: ["address": "\(address)"])
    }

    /// The per-request work Hummingbird's `Application` does around the responder.
    private func makeChannelResponder() -> HTTPChannelHandler.Responder {
        let responder = self.responder
        let logger = self.logger
        let serverName = self.serverName
        return { (request: Request, responseWriter: consuming ResponseWriter, channel: any Channel) in
            var requestLogger = logger
            requestLogger[metadataKey: "hb.request.id"] = .stringConvertible(RequestID())
            let response = try await withLogger(requestLogger) { requestLogger in
                let context = Responder.Context(
                    source: ApplicationRequestContextSource(channel: channel, logger: requestLogger)
                )
                var response: Response
                do {
                    response = try await responder.respond(to: request, context: context)
                } catch let error as HTTPParserError {
                    // Malformed request: HTTP1Channel answers 400 and closes the connection.
                    throw error
                } catch {
                    requestLogger.debug("Unhandled error answered with 500", metadata: ["error": "\(error)"])
                    response = Response(status: .internalServerError)
                }
                response.headers[.date] = HTTPDate.now()
                if let serverName { response.headers[.server] = serverName }
                return response
            }
            do {
                try await responseWriter.write(response: response.head, body: response.body)
            } catch is HTTPParserError {
                // Not rethrown as a parser error: HTTP1Channel would write a second response (400) after ours.
                throw ResponseWriteFailed()
            }
        }
    }
}

/// The response could not be written; the connection is closed.
private struct ResponseWriteFailed: Error {}
