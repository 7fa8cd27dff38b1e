import Logging
import NIOCore
import NIOHTTP1

/// Proxies the requests of one client connection (or one HTTP/2 stream) to the instances its routes name.
///
/// One request at a time: HTTP/1.1 requests pipelined behind the current one wait in a queue, and reading
/// pauses while they do (NIO's `HTTPServerPipelineHandler` would pause reading after every request, which
/// costs two `epoll_ctl` calls per request).
/// For each request: route by `Host`, check limits, pick a backend (round robin, skipping quarantined ones),
/// take an idle keep-alive connection to it or open one, forward the rewritten head and stream the body in
/// both directions with backpressure. A refused connection, or a stale keep-alive connection closing before
/// an answer to a request that can be repeated, is retried on another backend; otherwise the client gets
/// 502, or 504 when the instance is too slow to start its answer. A `101 Switching Protocols` answer turns
/// both connections into a byte tunnel (WebSocket) that lives until either side closes, independent of
/// later route changes.
final class ProxyHandler: ChannelDuplexHandler, RemovableChannelHandler, UpstreamConnectionDelegate {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart


    let environment: ProxyEnvironment
    var connection: ClientConnection?
    let scheme: String
    let isHTTP2: Bool
    var state = State.idle
    var context: ChannelHandlerContext?
    var upstreamPool: UpstreamConnectionPool?
    /// Closes an idle connection (or one still dropping a refused body, with `idleTimerClosesWhileDiscarding`).
    var idleTimer: ConnectionTimer?
    var idleTimerClosesWhileDiscarding = false
    /// Answers 504 when the instance does not start its response in time.
    var upstreamTimer: ConnectionTimer?
    var pendingRead = false
    /// Whether response parts were written to the client since the last flush.
    var clientUnflushed = false
    /// Parts of requests pipelined behind the current one, delivered in turn once it is answered.
    var pipelined: [HTTPServerRequestPart] = []
    var deliveringPipelined = false
    /// The decoder's error after the pipelined parts (nothing is decoded after it).
    var pipelinedError: HTTPParserError?
    /// The edge is stopping (HTTP/1.1): the connection closes once the answer in progress is complete.
    var draining = false
    /// Whether a request head has come on this connection: a new one's first request may be on its way.
    var receivedARequest = false

    init(environment: ProxyEnvironment, scheme: String, isHTTP2: Bool) {
        self.environment = environment
        self.scheme = scheme
        self.isHTTP2 = isHTTP2
    }

    // MARK: lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if !isHTTP2 {  // a stream ends with its request
            idleTimer = ConnectionTimer(eventLoop: context.eventLoop) { [weak self] in self?.idleTimerExpired() }
        }
        upstreamTimer = ConnectionTimer(eventLoop: context.eventLoop) { [weak self] in
            guard let self, case .proxying(let exchange) = self.state else { return }
            self.upstreamTimedOut(exchange)
        }
        upstreamPool = environment.upstreamPool(on: context.eventLoop)
        if context.channel.isActive { connectionStarted(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        connectionStarted(context: context)
        context.fireChannelActive()
    }

    func connectionStarted(context: ChannelHandlerContext) {
        guard connection == nil else { return }
        connection = ClientConnection(channel: context.channel, scheme: scheme, isHTTP2: isHTTP2)
        if environment.isStopping, !isHTTP2 {
            draining = true
            armIdleTimer(.seconds(1))  // its first request, if it is on its way
        } else {
            armIdleTimer(environment.settings.headerTimeout)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        idleTimer?.stop()
        upstreamTimer?.stop()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        idleTimer?.stop()
        upstreamTimer?.stop()
        if case .proxying(let exchange) = state {
            // The client left: the instance's answer has nowhere to go.
            exchange.upstream?.delegate = nil
            exchange.upstream?.close()
            record(exchange, status: exchange.responseStarted ? exchange.status : 499)
        }
        state = .closed
        context.fireChannelInactive()
    }

    /// A graceful stop of the edge (EdgeServer's ConnectionTracker): an idle keep-alive HTTP/1.1 connection closes
    /// now (a client retries a request on a fresh connection when a reused one closes before answering), one
    /// with an answer in progress after it, and a new one after its first request, which is likely on its way
    /// (it gets a second). An HTTP/2 stream just finishes: its connection sends GOAWAY and closes when its
    /// streams are done.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent, !isHTTP2 {
            draining = true
            if case .idle = state {
                if receivedARequest { closeWhenDraining() } else { armIdleTimer(.seconds(1)) }
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// Closes the connection, as it would stay idle otherwise.
    func closeWhenDraining() {
        state = .closed
        idleTimer?.stop()
        context?.close(promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if let parserError = error as? HTTPParserError, !pipelined.isEmpty || !takesParts {
            // A malformed request behind the current one: answered in its turn.
            pipelinedError = parserError
            return
        }
        if let parserError = error as? HTTPParserError, case .idle = state {
            let response = parserError == .headerOverflow ? LocalResponse.headersTooLarge() : .badRequest("The request is malformed.")
            environment.metrics.localAnswer(status: response.status.code)
            write(response, version: .http1_1, keepAlive: false, headRequest: false)
            state = .closed
        }
        context.close(promise: nil)
    }

    // MARK: requests in

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if !pipelined.isEmpty || !takesParts {
            pipelined.append(part)
            return
        }
        deliver(part)
    }

    func deliver(_ part: HTTPServerRequestPart) {
        switch part {
        case .head(let head): received(head: head)
        case .body(let body): received(body: body)
        case .end(let trailers): receivedEnd(trailers)
        }
    }

    /// Whether a part read now is handled now: false once the current request has ended but its answer
    /// has not (the part belongs to a pipelined request).
    var takesParts: Bool {
        if case .proxying(let exchange) = state { return !exchange.requestEnded }
        return true
    }

    /// Hands pipelined parts over while the state takes them.
    func deliverPipelined() {
        guard !deliveringPipelined else { return }
        deliveringPipelined = true
        defer { deliveringPipelined = false }
        while !pipelined.isEmpty, takesParts {
            deliver(pipelined.removeFirst())
        }
        if pipelined.isEmpty, takesParts, let error = pipelinedError, let context {
            pipelinedError = nil
            errorCaught(context: context, error: error)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if case .proxying(let exchange) = state { exchange.upstream?.flush() }
        context.fireChannelReadComplete()
    }

    func received(head: HTTPRequestHead) {
        idleTimer?.cancel()
        receivedARequest = true
        guard case .idle = state, let connection else { return }
        let settings = environment.settings

        let (authority, target) = ForwardedHeaders.originForm(head.uri)
        let challengePrefix = "/.well-known/acme-challenge/"
        if connection.scheme == "http", target.hasPrefix(challengePrefix) {
            let token = target.dropFirst(challengePrefix.utf8.count).prefix { $0 != "?" }
            answer(environment.challengeAnswer(String(token)).map(LocalResponse.text) ?? .notFound(), to: head)
            return
        }
        // An absolute-form target names the host itself, and wins over `Host` (RFC 9112 §3.2.2).
        guard let host = authority.map(String.init) ?? head.headers.first(name: "host"),
              let hostName = RouteTable.normalise(host: host)
        else {
            answer(.badRequest("The request has no valid Host header."), to: head)
            return
        }
        if connection.scheme == "http", settings.redirectHTTPToHTTPS, environment.routes.isRouted(hostName) {
            let port = settings.publicHTTPSPort.map { $0 == 443 ? "" : ":\($0)" } ?? ""
            answer(.redirect(to: "https://\(hostName)\(port)\(target == "*" ? "/" : target)"), to: head)
            return
        }
        guard let pool = environment.routes.current.pool(forHost: hostName) else {
            answer(.notFound(), to: head)
            return
        }
        if let length = head.headers.first(name: "content-length").flatMap(Int.init), length > pool.maxBodyBytes {
            answer(.bodyTooLarge(limit: pool.maxBodyBytes), to: head)
            return
        }
        // A deployment that sleeps when idle is woken instead (the request waits for it).
        guard !pool.backends.isEmpty || pool.sleeps else {
            answer(.noInstances(), to: head)
            return
        }
        let requestID = ForwardedHeaders.requestID(from: head)
        let origin = ForwardedHeaders.Origin(clientIP: connection.clientIP, scheme: connection.scheme, host: host,
                                             port: connection.localPort)
        var upstreamHead = ForwardedHeaders.upstreamRequest(head, origin: origin, requestID: requestID)
        if isHTTP2 { upstreamHead.headers.remove(name: "upgrade") }
        let exchange = Exchange(clientHead: head, upstreamHead: upstreamHead, pool: pool, requestID: requestID)
        state = .proxying(exchange)
        if exchange.tracksActivity { environment.sleeping.began(pool.name) }
        if head.headers[canonicalForm: "expect"].contains(where: { $0.lowercased() == "100-continue" }) {
            // Answered here so the client does not wait: the instance never sees `Expect`.
            context?.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
        }
        if pool.backends.isEmpty {
            connectWhenAwake(exchange)
        } else {
            connect(exchange)
        }
    }

    func received(body: ByteBuffer) {
        switch state {
        case .proxying(let exchange):
            exchange.bodyBytes += body.readableBytes
            if exchange.bodyBytes > exchange.pool.maxBodyBytes {
                exchange.upstream?.delegate = nil
                exchange.upstream?.close()
                upstreamTimer?.cancel()
                if exchange.responseStarted {
                    state = .closed
                    context?.close(promise: nil)
                    return
                }
                record(exchange, status: 413)
                write(.bodyTooLarge(limit: exchange.pool.maxBodyBytes), version: exchange.clientHead.version,
                      keepAlive: false, headRequest: false)
                // Closing with unread data would reset the connection before the client reads the 413:
                // drop what still comes, for a few seconds at most.
                state = .discarding(close: true)
                armIdleTimer(.seconds(5), closingWhileDiscarding: true)
                return
            }
            send(.body(.byteBuffer(body)), in: exchange)
        default:
            break
        }
    }

    func receivedEnd(_ trailers: HTTPHeaders?) {
        switch state {
        case .proxying(let exchange):
            exchange.requestEnded = true
            send(.end(trailers), in: exchange)
            exchange.upstream?.flush()
        case .discarding(let close):
            if close { context?.close(promise: nil); state = .closed } else { becomeIdle() }
        default:
            break
        }
    }

    func send(_ part: HTTPClientRequestPart, in exchange: Exchange) {
        if let upstream = exchange.upstream {
            upstream.write(part)
        } else {
            exchange.buffered.append(part)
        }
    }

    // MARK: backpressure: read from the client only while the instance keeps up

    func read(context: ChannelHandlerContext) {
        if mayRead {
            context.read()
        } else {
            pendingRead = true
        }
    }

    /// Not while pipelined requests (or the decoder's error after them) wait, nor while the instance cannot
    /// take more, nor after an upgrade request (what follows it belongs to the tunnel, if there is one).
    var mayRead: Bool {
        guard pipelined.isEmpty, pipelinedError == nil else { return false }
        guard case .proxying(let exchange) = state else { return true }
        if exchange.isUpgrade, exchange.requestEnded { return false }
        return exchange.upstream?.isWritable ?? false
    }

    func resumeReading() {
        guard pendingRead, mayRead, let context else { return }
        pendingRead = false
        context.read()
    }
}
