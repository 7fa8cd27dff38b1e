import NIOCore
import NIOPosix

/// Raw byte streams over pipes on an event loop, for sessions (where bytes, not lines, matter).
enum PipeChannels {
    /// Reads `fd` (taking ownership) and hands each chunk to `onData`; `onEnd` runs once at end-of-file.
    static func read(fd: Int32, on group: any EventLoopGroup, onData: @escaping @Sendable ([UInt8]) -> Void,
                     onEnd: @escaping @Sendable () -> Void) async throws {
        _ = try await NIOPipeBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ChunkForwarder(onData: onData, onEnd: onEnd))
                }
            }
            .takingOwnershipOfDescriptor(input: fd)
            .get()
    }

    /// A channel that writes to `fd` (taking ownership); close it to send end-of-file.
    static func write(fd: Int32, on group: any EventLoopGroup) async throws -> any Channel {
        try await NIOPipeBootstrap(group: group).takingOwnershipOfDescriptor(output: fd).get()
    }
}

private final class ChunkForwarder: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let onData: @Sendable ([UInt8]) -> Void
    let onEnd: @Sendable () -> Void
    var ended = false

    init(onData: @escaping @Sendable ([UInt8]) -> Void, onEnd: @escaping @Sendable () -> Void) {
        self.onData = onData
        self.onEnd = onEnd
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        onData(Array(unwrapInboundIn(data).readableBytesView))
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .inputClosed? = event as? ChannelEvent {
            finish()
            context.close(promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish()
        context.fireChannelInactive()
    }

    private func finish() {
        guard !ended else { return }
        ended = true
        onEnd()
    }
}
