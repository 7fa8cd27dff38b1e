import Logging
import NIOCore
import NIOHTTP1

/// Answers from the edge itself (errors, redirects, limits), keep-alive and idle time-outs, and the access
/// log and metrics of each exchange.
extension ProxyHandler {
    func answer(_ response: LocalResponse, to head: HTTPRequestHead) {
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

    func write(_ response: LocalResponse, version: HTTPVersion, keepAlive: Bool, headRequest: Bool) {
        guard let context else { return }
        let hsts = scheme == "https" ? environment.settings.hsts : nil
        let parts = response.parts(version: isHTTP2 ? .http2 : version, keepAlive: keepAlive || isHTTP2, hsts: hsts,
                                   headRequest: headRequest)
        for part in parts.dropLast() { context.write(wrapOutboundOut(part), promise: nil) }
        if let last = parts.last { context.writeAndFlush(wrapOutboundOut(last), promise: nil) }
    }

    /// HTTP/2 streams end on their own; the connection stays.
    func keepAlive(_ head: HTTPRequestHead) -> Bool { isHTTP2 || (head.isKeepAlive && !draining) }

    func finishedResponse(keepAlive: Bool) {
        if keepAlive || isHTTP2 {
            becomeIdle()
        } else {
            state = .closed
            context?.close(promise: nil)
        }
    }

    func becomeIdle() {
        if draining {
            closeWhenDraining()
            return
        }
        state = .idle
        if !isHTTP2 { armIdleTimer(environment.settings.idleTimeout) }
        deliverPipelined()
        resumeReading()
    }

    /// Closes the connection if it is still idle (or still dropping a refused body) after `after`.
    func armIdleTimer(_ after: TimeAmount, closingWhileDiscarding: Bool = false) {
        guard !isHTTP2 else { return }
        idleTimerClosesWhileDiscarding = closingWhileDiscarding
        idleTimer?.arm(in: after)
    }

    func idleTimerExpired() {
        switch state {
        case .idle: break
        case .discarding where idleTimerClosesWhileDiscarding: break
        default: return
        }
        context?.close(promise: nil)
    }

    // MARK: access log and metrics

    func record(_ exchange: Exchange, status: UInt) {
        let seconds = Double((NIODeadline.now() - exchange.started).nanoseconds) / 1e9
        if exchange.tracksActivity { environment.sleeping.ended(exchange.pool.name) }
        environment.metrics.deployment(exchange.pool.name).record(status: status, seconds: seconds)
        guard environment.settings.accessLog else { return }
        log(method: exchange.clientHead.method, uri: exchange.clientHead.uri,
            host: exchange.clientHead.headers.first(name: "host") ?? "-", pool: exchange.pool.name,
            backend: exchange.tried.last?.address ?? "-", status: status, seconds: seconds, requestID: exchange.requestID)
    }

    func log(method: HTTPMethod, uri: String, host: String, pool: String, backend: String, status: UInt,
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
