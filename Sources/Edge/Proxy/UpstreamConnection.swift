import NIOCore
import NIOHTTP1
import NIOPosix

/// What an ``UpstreamConnection`` tells the client-side handler it works for. Both live on the same
/// event loop, so calls are direct.
protocol UpstreamConnectionDelegate: AnyObject {
    func upstreamReceived(_ part: HTTPClientResponsePart)
    func upstreamReadComplete()
    func upstreamClosed(_ connection: UpstreamConnection)
    /// Whether the client can take more data now (backpressure: the upstream is read only then).
    var clientIsWritable: Bool { get }
}

/// One HTTP/1.1 keep-alive connection to a backend, on the event loop of the client connection using it.
final class UpstreamConnection: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = HTTPClientRequestPart

    let backend: Backend
    private(set) var channel: Channel?
    private var context: ChannelHandlerContext?
    weak var delegate: UpstreamConnectionDelegate?
    /// Requests written on this connection; from the second on, it was reused (kept alive).
    private var requestsWritten = 0
    /// Whether the current request went out on a connection that had served one before (a failure on it
    /// may just be a stale keep-alive connection the instance closed).
    var wasReused: Bool { requestsWritten > 1 }
    /// Whether the current response allows reusing the connection.
    private(set) var reusable = true
    private(set) var isOpen = true
    private var pendingRead = false
    /// Whether parts were written since the last flush (an empty flush still walks the pipeline).
    private var unflushed = false
    /// Set while the connection sits in the idle pool.
    weak var idlePool: UpstreamConnectionPool?

    init(backend: Backend) {
        self.backend = backend
    }

    /// Connects on `eventLoop` (the client connection's), HTTP/1.1 codec in front. Leftover bytes are
    /// forwarded when the codec is removed, for protocol upgrades.
    static func connect(to backend: Backend, on eventLoop: EventLoop, timeout: TimeAmount) -> EventLoopFuture<UpstreamConnection> {
        ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelOption(.allowRemoteHalfClosure, value: false)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // No outbound header validation: the request head is the client's, parsed by the edge's
                    // decoder, plus headers the edge makes.
                    try channel.pipeline.syncOperations.addHTTPClientHandlers(leftOverBytesStrategy: .forwardBytes,
                                                                              enableOutboundHeaderValidation: false)
                    try channel.pipeline.syncOperations.addHandler(UpstreamConnection(backend: backend))
                }
            }
            .connect(to: backend.socketAddress)
            .flatMapThrowing { channel in
                try channel.pipeline.syncOperations.handler(type: UpstreamConnection.self)
            }
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        channel = context.channel
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    // MARK: requests out

    func write(_ part: HTTPClientRequestPart) {
        if case .head(let head) = part {
            reusable = head.isKeepAlive
            requestsWritten += 1
        }
        unflushed = true
        context?.write(wrapOutboundOut(part), promise: nil)
    }

    func flush() {
        guard unflushed else { return }
        unflushed = false
        context?.flush()
    }

    var isWritable: Bool { channel?.isWritable ?? false }

    // MARK: responses in

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if case .head(let head) = part, !head.isKeepAlive { reusable = false }
        delegate?.upstreamReceived(part)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        delegate?.upstreamReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        isOpen = false
        reusable = false
        idlePool?.remove(self)
        idlePool = nil
        delegate?.upstreamClosed(self)
        delegate = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        reusable = false
        context.close(promise: nil)
    }

    // MARK: backpressure: read from the instance only while the client keeps up

    func read(context: ChannelHandlerContext) {
        if let delegate, !delegate.clientIsWritable {
            pendingRead = true
        } else {
            context.read()
        }
    }

    func clientBecameWritable() {
        guard pendingRead, let context else { return }
        pendingRead = false
        context.read()
    }

    func close() {
        reusable = false
        context?.close(promise: nil)
    }

    /// Called when the connection is handed to the tunnel: remove the HTTP codec and this handler,
    /// forwarding bytes that already arrived.
    func removeForTunnel(adding tunnel: ChannelHandler) throws {
        guard let channel else { return }
        let pipeline = channel.pipeline.syncOperations
        try pipeline.addHandler(tunnel)
        _ = pipeline.removeHandler(self)
        if let validator = try? pipeline.handler(type: NIOHTTPRequestHeadersValidator.self) {
            _ = pipeline.removeHandler(validator)
        }
        _ = pipeline.removeHandler(try pipeline.handler(type: HTTPRequestEncoder.self))
        _ = pipeline.removeHandler(try pipeline.handler(type: ByteToMessageHandler<HTTPResponseDecoder>.self))
    }
}

/// Idle keep-alive connections to backends, per event loop (only touched on that loop).
final class UpstreamConnectionPool {
    private var idle: [ObjectIdentifier: [UpstreamConnection]] = [:]
    /// Idle connections kept per backend.
    let limit: Int

    init(limit: Int = 64) {
        self.limit = limit
    }

    /// An open idle connection to `backend`, if any.
    func take(for backend: Backend) -> UpstreamConnection? {
        let key = ObjectIdentifier(backend)
        // In place: copying the list out and back would copy it on every request.
        while let connection = idle[key]?.popLast() {
            connection.idlePool = nil
            if connection.isOpen { return connection }
        }
        return nil
    }

    /// Keeps `connection` for the next request to its backend, or closes it (also when the backend is no
    /// longer routed).
    func release(_ connection: UpstreamConnection) {
        guard connection.isOpen, connection.reusable, connection.backend.isRouted else {
            connection.close()
            return
        }
        let key = ObjectIdentifier(connection.backend)
        guard idle[key, default: []].count < limit else {
            connection.close()
            return
        }
        connection.delegate = nil
        connection.idlePool = self
        idle[key, default: []].append(connection)
    }

    /// Closes the idle connections to `backends` (no longer routed: see ``Backend/isRouted``).
    func closeIdle(to backends: [Backend]) {
        for backend in backends {
            for connection in idle.removeValue(forKey: ObjectIdentifier(backend)) ?? [] {
                connection.idlePool = nil
                connection.close()
            }
        }
    }

    fileprivate func remove(_ connection: UpstreamConnection) {
        let key = ObjectIdentifier(connection.backend)
        idle[key]?.removeAll { $0 === connection }
        if idle[key]?.isEmpty == true { idle[key] = nil }
    }
}
