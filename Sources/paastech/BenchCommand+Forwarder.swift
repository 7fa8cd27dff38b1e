import ArgumentParser
import NIOCore
import NIOPosix

extension BenchCommand {
    /// `paastech bench forwarder`: the floor of any SwiftNIO proxy, for `scripts/bench-edge.sh`. Every client
    /// connection gets its own backend connection on the same event loop, and bytes go through untouched: no
    /// HTTP parsing, no header rewriting, no routing, no pooling. Nothing the edge does can be cheaper than this,
    /// so its throughput against nginx's bounds what the edge can reach on SwiftNIO on this machine.
    struct Forwarder: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "forwarder", abstract: "A bare SwiftNIO TCP forwarder (the floor of a SwiftNIO proxy).")

        @Option(help: "Port to listen on, on 127.0.0.1.") var listen: Int
        @Option(help: "Backend port, on 127.0.0.1.") var backend: Int

        func run() async throws {
            let backendPort = backend
            let group = MultiThreadedEventLoopGroup.singleton
            let server = try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 1024)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .childChannelInitializer { client in
                    let clientSide = ForwardingHandler()
                    return client.pipeline.addHandler(clientSide).flatMap {
                        ClientBootstrap(group: client.eventLoop)
                            .channelOption(.socketOption(.tcp_nodelay), value: 1)
                            .channelInitializer { backend in
                                let backendSide = ForwardingHandler()
                                backendSide.peer = clientSide
                                clientSide.peer = backendSide
                                return backend.pipeline.addHandler(backendSide)
                            }
                            .connect(host: "127.0.0.1", port: backendPort)
                            .map { _ in }  // the client channel registers, and starts reading, only now
                    }
                }
                .bind(host: "127.0.0.1", port: listen).get()
            print("forwarding 127.0.0.1:\(listen) to 127.0.0.1:\(backendPort)")
            try await server.closeFuture.get()
        }
    }
}

/// One side of a forwarded connection: what it reads, its peer writes, and a close closes both.
/// Both sides live on the same event loop, which is the only place they are touched.
private final class ForwardingHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    var peer: ForwardingHandler?
    private var context: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        peer = nil  // breaks the reference cycle
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        peer?.context?.write(data, promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        peer?.context?.flush()
    }

    func channelInactive(context: ChannelHandlerContext) {
        peer?.context?.close(promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}
