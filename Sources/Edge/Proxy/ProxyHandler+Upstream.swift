import Logging
import NIOCore
import NIOHTTP1

/// Sending a request to an instance (picking a backend, waking a sleeping deployment, retries, time-outs)
/// and passing its answer back to the client.
extension ProxyHandler {
    /// Sends the exchange to the next backend, or with `freshTo` to that backend on a new connection.
    func connect(_ exchange: Exchange, freshTo retried: Backend? = nil) {
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
    func connectWhenAwake(_ exchange: Exchange) {
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
    func retryOrFail(_ exchange: Exchange, failure: LocalResponse, staleConnectionTo backend: Backend? = nil) {
        guard case .proxying(let current) = state, current === exchange else { return }
        let attemptsLeft = backend != nil || exchange.tried.count < min(exchange.pool.backends.count, 3)
        if exchange.canRetry, attemptsLeft, exchange.tried.count < 3 {
            exchange.upstream = nil
            connect(exchange, freshTo: backend)
        } else {
            fail(exchange, with: failure)
        }
    }

    func attach(_ upstream: UpstreamConnection, to exchange: Exchange) {
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

    func upstreamTimedOut(_ exchange: Exchange) {
        guard case .proxying(let current) = state, current === exchange, !exchange.responseStarted else { return }
        exchange.upstream?.delegate = nil
        exchange.upstream?.close()
        fail(exchange, with: .gatewayTimeout())
    }

    /// Answers the client with an error page instead of the instance's response.
    func fail(_ exchange: Exchange, with response: LocalResponse) {
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
}
