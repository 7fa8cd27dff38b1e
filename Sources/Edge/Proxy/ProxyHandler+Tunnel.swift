import Logging
import NIOCore
import NIOHTTP1

/// A `101 Switching Protocols` answer turns both connections into a byte tunnel (WebSocket).
extension ProxyHandler {
    func startTunnel(_ exchange: Exchange, head: HTTPResponseHead) {
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
}
