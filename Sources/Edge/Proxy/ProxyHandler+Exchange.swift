import Logging
import NIOCore
import NIOHTTP1

/// What the proxy knows of the request in flight, and the connection's state.
extension ProxyHandler {
    /// One request on its way through.
    final class Exchange {
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

    enum State {
        /// Waiting for a request head.
        case idle
        case proxying(Exchange)
        /// The edge answered itself; the rest of the request body is read and dropped.
        case discarding(close: Bool)
        /// Bytes flow through a ``TunnelHandler`` pair; this handler is gone from the pipeline.
        case tunnelling
        case closed
    }
}
