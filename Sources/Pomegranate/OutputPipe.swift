import Glibc
import NIOCore
import NIOPosix

/// A pipe for one output stream of a sandbox: the sandbox writes to `writeEnd`; pomegranate reads
/// `readEnd` line by line on an event loop.
struct OutputPipe {
    let readEnd: Int32
    let writeEnd: Int32

    /// Bigger than the default 64 KiB so a busy app does not block while pomegranate restarts.
    static let capacity: Int32 = 1 << 20

    /// `F_SETPIPE_SZ` from linux/fcntl.h (`F_LINUX_SPECIFIC_BASE + 7`), which Glibc does not export without _GNU_SOURCE.
    static let setPipeSize: Int32 = 1031

    static func make() throws(PomegranateError) -> OutputPipe {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else {
            throw .sandboxFailed(instance: "-", detail: "pipe: \(String(cString: strerror(errno)))")
        }
        // Not atomic with pipe(), which is fine: every spawn path of ours closes all fds it was not given.
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], setPipeSize, capacity)
        return OutputPipe(readEnd: fds[0], writeEnd: fds[1])
    }
}

/// Reads a pipe on an event loop and calls `onLine` for each line (without its newline); a line
/// longer than `maxLineBytes` is cut into pieces. `onEnd` runs once, at end-of-file.
enum LineReader {
    static let maxLineBytes = 16 * 1024

    /// Takes ownership of `fd`.
    static func start(fd: Int32, on group: any EventLoopGroup, onLine: @escaping @Sendable (String) -> Void,
                      onEnd: @escaping @Sendable () -> Void = {}) async throws {
        _ = try await NIOPipeBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(LineSplitter(onLine: onLine, onEnd: onEnd))
                }
            }
            .takingOwnershipOfDescriptor(input: fd)
            .get()
    }
}

private final class LineSplitter: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    let onLine: @Sendable (String) -> Void
    let onEnd: @Sendable () -> Void
    var pending: [UInt8] = []
    var ended = false

    init(onLine: @escaping @Sendable (String) -> Void, onEnd: @escaping @Sendable () -> Void) {
        self.onLine = onLine
        self.onEnd = onEnd
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        for byte in buffer.readableBytesView {
            if byte == UInt8(ascii: "\n") {
                emit()
            } else {
                pending.append(byte)
                if pending.count >= LineReader.maxLineBytes { emit() }
            }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // End-of-file on the pipe: every writer (the app and its children) has gone.
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
        if !pending.isEmpty { emit() }
        onEnd()
    }

    private func emit() {
        var text = String(decoding: pending, as: UTF8.self)
        if text.hasSuffix("\r") { text.removeLast() }
        pending.removeAll(keepingCapacity: true)
        onLine(text)
    }
}
