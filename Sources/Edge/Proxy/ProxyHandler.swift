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

    /// One request on its way through.
    private final class Exchange {
        let clientHead: HTTPRequestHead
        let upstreamHead: HTTPRequestHead
        /// Replaced by the woken pool when the request waited for a sleeping deployment.
        var pool: BackendPool
        let requestID: String
        let isUpgrade: Bool
        /// Counted as traffic of a deployment that sleeps when idle.
        let tracksActivity: Bool
        let started = NIODeadline.now()
        var tried: [Backend] = []
        var upstream: UpstreamConnection?
        /// Parts that arrived before the upstream connection was ready.
        var buffered: [HTTPClientRequestPart] = []
        var requestEnded = false
        var bodyBytes = 0
        var responseStarted = false
        var status: UInt = 0
        var responseBytes = 0
        /// The instance's `101 Switching Protocols`, kept until its end arrives (then the tunnel starts).
        var switching: HTTPResponseHead?

        init(clientHead: HTTPRequestHead, upstreamHead: HTTPRequestHead, pool: BackendPool, requestID: String) {
            self.clientHead = clientHead
            self.upstreamHead = upstreamHead
            self.pool = pool
            self.requestID = requestID
            isUpgrade = ForwardedHeaders.isUpgradeRequest(clientHead)
            tracksActivity = pool.sleeps
        }

        /// Safe to send again elsewhere: nothing but the head went out and the method is idempotent.
        var canRetry: Bool {
            bodyBytes == 0 && !responseStarted && [.GET, .HEAD, .OPTIONS, .PUT, .DELETE].contains(clientHead.method)
        }
    }

    private enum State {
        /// Waiting for a request head.
        case idle
        case proxying(Exchange)
        /// The edge answered itself; the rest of the request body is read and dropped.
        case discarding(close: Bool)
        /// Bytes flow through a ``TunnelHandler`` pair; this handler is gone from the pipeline.
        case tunnelling
        case closed
    }

    private let environment: ProxyEnvironment
    private var connection: ClientConnection?
    private let scheme: String
    private let isHTTP2: Bool
    private var state = State.idle
    private var context: ChannelHandlerContext?
    private var upstreamPool: UpstreamConnectionPool?
    /// Closes an idle connection (or one still dropping a refused body, with `idleTimerClosesWhileDiscarding`).
    private var idleTimer: ConnectionTimer?
    private var idleTimerClosesWhileDiscarding = false
    /// Answers 504 when the instance does not start its response in time.
    private var upstreamTimer: ConnectionTimer?
    private var pendingRead = false
    /// Whether response parts were written to the client since the last flush.
    private var clientUnflushed = false
    /// Parts of requests pipelined behind the current one, delivered in turn once it is answered.
    private var pipelined: [HTTPServerRequestPart] = []
    private var deliveringPipelined = false
    /// The decoder's error after the pipelined parts (nothing is decoded after it).
    private var pipelinedError: HTTPParserError?

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

    private func connectionStarted(context: ChannelHandlerContext) {
        guard connection == nil else { return }
        connection = ClientConnection(channel: context.channel, scheme: scheme, isHTTP2: isHTTP2)
        armIdleTimer(environment.settings.headerTimeout)
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

    private func deliver(_ part: HTTPServerRequestPart) {
        switch part {
        case .head(let head): received(head: head)
        case .body(let body): received(body: body)
        case .end(let trailers): receivedEnd(trailers)
        }
    }

    /// Whether a part read now is handled now: false once the current request has ended but its answer
    /// has not (the part belongs to a pipelined request).
    private var takesParts: Bool {
        if case .proxying(let exchange) = state { return !exchange.requestEnded }
        return true
    }

    /// Hands pipelined parts over while the state takes them.
    private func deliverPipelined() {
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

    private func received(head: HTTPRequestHead) {
        idleTimer?.cancel()
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

    private func received(body: ByteBuffer) {
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

    private func receivedEnd(_ trailers: HTTPHeaders?) {
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

    private func send(_ part: HTTPClientRequestPart, in exchange: Exchange) {
        if let upstream = exchange.upstream {
            upstream.write(part)
        } else {
            exchange.buffered.append(part)
        }
    }

    // MARK: upstream connection

    /// Sends the exchange to the next backend, or with `freshTo` to that backend on a new connection.
    private func connect(_ exchange: Exchange, freshTo retried: Backend? = nil) {
        guard let context, let upstreamPool else { return }
        guard let backend = retried ?? exchange.pool.pick(excluding: exchange.tried) else {
            fail(exchange, with: .badGateway())
            return
        }
        exchange.tried.append(backend)
        if retried == nil, let idle = upstreamPool.take(for: backend) {
            attach(idle, to: exchange)
            return
        }
        let connecting = UpstreamConnection.connect(to: backend, on: context.eventLoop,
                                                    timeout: environment.settings.upstreamConnectTimeout)
        connecting.assumeIsolated().whenComplete { result in
            switch result {
            case .success(let upstream):
                self.attach(upstream, to: exchange)
            case .failure(let error):
                backend.markFailed()
                self.environment.logger.notice("Instance refused a connection; trying another", metadata: [
                    "backend": "\(backend.address)", "pool": "\(exchange.pool.name)", "error": "\(error)",
                ])
                self.retryOrFail(exchange, failure: .badGateway())
            }
        }
    }

    /// The deployment sleeps (or is waking up): the request waits, its body buffered, until an instance
    /// accepts connections; 503 if none does in time.
    private func connectWhenAwake(_ exchange: Exchange) {
        guard let context else { return }
        let (sleeping, pool) = (environment.sleeping, exchange.pool)
        context.eventLoop.makeFutureWithTask { await sleeping.awaken(pool) }.assumeIsolated().whenSuccess { woken in
            guard case .proxying(let current) = self.state, current === exchange else { return }
            guard let woken else {
                self.fail(exchange, with: .noInstances())
                return
            }
            exchange.pool = woken
            self.connect(exchange)
        }
    }

    /// Another attempt for a request that can be repeated (at most 3 in all), else `failure`. With
    /// `staleConnectionTo`, the same backend again on a new connection: a kept-alive connection it closed
    /// says nothing about its health.
    private func retryOrFail(_ exchange: Exchange, failure: LocalResponse, staleConnectionTo backend: Backend? = nil) {
        guard case .proxying(let current) = state, current === exchange else { return }
        let attemptsLeft = backend != nil || exchange.tried.count < min(exchange.pool.backends.count, 3)
        if exchange.canRetry, attemptsLeft, exchange.tried.count < 3 {
            exchange.upstream = nil
            connect(exchange, freshTo: backend)
        } else {
            fail(exchange, with: failure)
        }
    }

    private func attach(_ upstream: UpstreamConnection, to exchange: Exchange) {
        guard case .proxying(let current) = state, current === exchange, context != nil else {
            // The client went away meanwhile: keep the connection for someone else.
            upstreamPool?.release(upstream)
            return
        }
        exchange.upstream = upstream
        upstream.delegate = self
        upstream.write(.head(exchange.upstreamHead))
        var endSent = false
        for part in exchange.buffered {
            upstream.write(part)
            if case .end = part { endSent = true }
        }
        exchange.buffered.removeAll()
        // A retry: the first attempt took the request's end with it (retried requests have no body).
        if exchange.requestEnded, !endSent { upstream.write(.end(nil)) }
        upstream.flush()
        let timeout = environment.settings.upstreamTimeout
        upstreamTimer?.arm(in: timeout)  // a retry's clock starts afresh
        resumeReading()
    }

    private func upstreamTimedOut(_ exchange: Exchange) {
        guard case .proxying(let current) = state, current === exchange, !exchange.responseStarted else { return }
        exchange.upstream?.delegate = nil
        exchange.upstream?.close()
        fail(exchange, with: .gatewayTimeout())
    }

    /// Answers the client with an error page instead of the instance's response.
    private func fail(_ exchange: Exchange, with response: LocalResponse) {
        upstreamTimer?.cancel()
        record(exchange, status: response.status.code)
        state = exchange.requestEnded ? .idle : .discarding(close: true)
        var closing = response
        if !exchange.requestEnded { closing.closeConnection = true }
        write(closing, version: exchange.clientHead.version, keepAlive: keepAlive(exchange.clientHead),
              headRequest: exchange.clientHead.method == .HEAD)
        if exchange.requestEnded { finishedResponse(keepAlive: keepAlive(exchange.clientHead) && !closing.closeConnection) }
    }

    // MARK: responses in (UpstreamConnectionDelegate)

    func upstreamReceived(_ part: HTTPClientResponsePart) {
        guard case .proxying(let exchange) = state, let context else { return }
        switch part {
        case .head(let head):
            upstreamTimer?.cancel()
            exchange.upstream?.backend.markHealthy()
            exchange.responseStarted = true
            exchange.status = head.status.code
            if head.status == .switchingProtocols, exchange.isUpgrade, !isHTTP2 {
                // The decoder still holds the 101's end: the codecs come out once it has been delivered.
                exchange.switching = head
                return
            }
            let keepAlive = keepAlive(exchange.clientHead)
            let hsts = scheme == "https" ? environment.settings.hsts : nil
            var response = ForwardedHeaders.clientResponse(head, hsts: hsts, requestID: exchange.requestID,
                                                           keepAlive: keepAlive || isHTTP2)
            response.version = isHTTP2 ? .http2 : exchange.clientHead.version
            if exchange.clientHead.method == .HEAD {
                // No body follows: keep the instance's length, never announce chunks that will not come.
                response.headers.remove(name: "transfer-encoding")
            }
            context.write(wrapOutboundOut(.head(response)), promise: nil)
            clientUnflushed = true
        case .body(let body):
            exchange.responseBytes += body.readableBytes
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
            clientUnflushed = true
        case .end(let trailers):
            if let switching = exchange.switching {
                startTunnel(exchange, head: switching)
                return
            }
            if let upstream = exchange.upstream {
                upstream.delegate = nil
                if exchange.requestEnded { upstreamPool?.release(upstream) } else { upstream.close() }
            }
            exchange.upstream = nil
            record(exchange, status: exchange.status)
            // The state moves on before the write: on an HTTP/2 stream, writing the end closes the stream
            // at once (channelInactive runs inside the write). If the instance answered before reading the
            // whole body, the rest of it is dropped.
            state = exchange.requestEnded ? .idle : .discarding(close: false)
            clientUnflushed = false
            context.writeAndFlush(wrapOutboundOut(.end(trailers)), promise: nil)
            if exchange.requestEnded, case .idle = state { finishedResponse(keepAlive: keepAlive(exchange.clientHead)) }
        }
    }

    func upstreamReadComplete() {
        guard clientUnflushed else { return }
        clientUnflushed = false
        context?.flush()
    }

    func upstreamClosed(_ upstream: UpstreamConnection) {
        guard case .proxying(let exchange) = state, exchange.upstream === upstream else { return }
        exchange.upstream = nil
        upstreamTimer?.cancel()
        if exchange.responseStarted {
            // Cut off mid-answer: the client must not take a truncated body for a whole one.
            record(exchange, status: exchange.status)
            state = .closed
            context?.close(promise: nil)
            return
        }
        // A reused keep-alive connection may have been closed by the instance just as the request went
        // out; a fresh connection to it tells whether the instance is really gone.
        if upstream.wasReused {
            retryOrFail(exchange, failure: .badGateway(), staleConnectionTo: upstream.backend)
        } else {
            upstream.backend.markFailed()
            retryOrFail(exchange, failure: .badGateway())
        }
    }

    var clientIsWritable: Bool { context?.channel.isWritable ?? false }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, case .proxying(let exchange) = state {
            exchange.upstream?.clientBecameWritable()
        }
        context.fireChannelWritabilityChanged()
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
    private var mayRead: Bool {
        guard pipelined.isEmpty, pipelinedError == nil else { return false }
        guard case .proxying(let exchange) = state else { return true }
        if exchange.isUpgrade, exchange.requestEnded { return false }
        return exchange.upstream?.isWritable ?? false
    }

    private func resumeReading() {
        guard pendingRead, mayRead, let context else { return }
        pendingRead = false
        context.read()
    }

    // MARK: protocol switch

    private func startTunnel(_ exchange: Exchange, head: HTTPResponseHead) {
        guard let context, let upstream = exchange.upstream else { return }
        let response = ForwardedHeaders.clientResponse(head, hsts: nil, requestID: exchange.requestID, keepAlive: true)
        context.write(wrapOutboundOut(.head(response)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        record(exchange, status: 101)
        if exchange.tracksActivity {
            // An open WebSocket keeps its deployment awake.
            let (sleeping, name) = (environment.sleeping, exchange.pool.name)
            sleeping.began(name)
            context.channel.closeFuture.whenComplete { _ in sleeping.ended(name) }
        }
        state = .tunnelling
        upstream.delegate = nil
        let (clientSide, upstreamSide) = TunnelHandler.pair()
        do {
            try upstream.removeForTunnel(adding: upstreamSide)
            let pipeline = context.pipeline.syncOperations
            try pipeline.addHandler(clientSide)
            _ = pipeline.removeHandler(self)
            if let validator = try? pipeline.handler(type: NIOHTTPResponseHeadersValidator.self) {
                _ = pipeline.removeHandler(validator)
            }
            _ = pipeline.removeHandler(try pipeline.handler(type: HTTPResponseEncoder.self))
            // Last: its removal forwards bytes the client already sent to the tunnel.
            _ = pipeline.removeHandler(try pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self))
            // Reading paused after the upgrade request: the tunnel reads from now on.
            if pendingRead {
                pendingRead = false
                context.channel.read()
            }
        } catch {
            environment.logger.warning("Could not switch a connection to a tunnel", metadata: ["error": "\(error)"])
            upstream.close()
            context.close(promise: nil)
        }
    }

    // MARK: answers from the edge itself

    private func answer(_ response: LocalResponse, to head: HTTPRequestHead) {
        environment.metrics.localAnswer(status: response.status.code)
        if environment.settings.accessLog {
            log(method: head.method, uri: head.uri, host: head.headers.first(name: "host") ?? "-", pool: "-", backend: "-",
                status: response.status.code, seconds: 0, requestID: "-")
        }
        let keepAlive = keepAlive(head) && !response.closeConnection
        write(response, version: head.version, keepAlive: keepAlive, headRequest: head.method == .HEAD)
        // The body of this request, if any, is still to come: drop it, then go on (or close).
        state = .discarding(close: !keepAlive)
    }

    private func write(_ response: LocalResponse, version: HTTPVersion, keepAlive: Bool, headRequest: Bool) {
        guard let context else { return }
        let hsts = scheme == "https" ? environment.settings.hsts : nil
        let parts = response.parts(version: isHTTP2 ? .http2 : version, keepAlive: keepAlive || isHTTP2, hsts: hsts,
                                   headRequest: headRequest)
        for part in parts.dropLast() { context.write(wrapOutboundOut(part), promise: nil) }
        if let last = parts.last { context.writeAndFlush(wrapOutboundOut(last), promise: nil) }
    }

    /// HTTP/2 streams end on their own; the connection stays.
    private func keepAlive(_ head: HTTPRequestHead) -> Bool { isHTTP2 || head.isKeepAlive }

    private func finishedResponse(keepAlive: Bool) {
        if keepAlive || isHTTP2 {
            becomeIdle()
        } else {
            state = .closed
            context?.close(promise: nil)
        }
    }

    private func becomeIdle() {
        state = .idle
        if !isHTTP2 { armIdleTimer(environment.settings.idleTimeout) }
        deliverPipelined()
        resumeReading()
    }

    /// Closes the connection if it is still idle (or still dropping a refused body) after `after`.
    private func armIdleTimer(_ after: TimeAmount, closingWhileDiscarding: Bool = false) {
        guard !isHTTP2 else { return }
        idleTimerClosesWhileDiscarding = closingWhileDiscarding
        idleTimer?.arm(in: after)
    }

    private func idleTimerExpired() {
        switch state {
        case .idle: break
        case .discarding where idleTimerClosesWhileDiscarding: break
        default: return
        }
        context?.close(promise: nil)
    }

    // MARK: access log and metrics

    private func record(_ exchange: Exchange, status: UInt) {
        let seconds = Double((NIODeadline.now() - exchange.started).nanoseconds) / 1e9
        if exchange.tracksActivity { environment.sleeping.ended(exchange.pool.name) }
        environment.metrics.deployment(exchange.pool.name).record(status: status, seconds: seconds)
        guard environment.settings.accessLog else { return }
        log(method: exchange.clientHead.method, uri: exchange.clientHead.uri,
            host: exchange.clientHead.headers.first(name: "host") ?? "-", pool: exchange.pool.name,
            backend: exchange.tried.last?.address ?? "-", status: status, seconds: seconds, requestID: exchange.requestID)
    }

    private func log(method: HTTPMethod, uri: String, host: String, pool: String, backend: String, status: UInt,
                     seconds: Double, requestID: String)
    {
        environment.logger.info("\(method.rawValue) \(host)\(uri) \(status)", metadata: [
            "host": "\(host)", "method": "\(method.rawValue)", "path": "\(uri)", "status": "\(status)",
            "duration_ms": "\(Int(seconds * 1000))", "client": "\(connection?.clientIP ?? "-")",
            "deployment": "\(pool)", "backend": "\(backend)", "request_id": "\(requestID)",
            "scheme": "\(scheme)", "protocol": "\(isHTTP2 ? "h2" : "http/1.1")",
        ])
    }
}
