import Glibc
import NIOCore
import Synchronization

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
/// longer than `maxLineBytes` is cut into pieces. `onEnd` runs once, at end-of-file, after the last line.
enum LineReader {
    static let maxLineBytes = 16 * 1024

    /// Takes ownership of `fd`.
    static func start(fd: Int32, on group: any EventLoopGroup, onLine: @escaping @Sendable (String) -> Void,
                      onEnd: @escaping @Sendable () -> Void = {}) async throws {
        let splitter = LineSplitter(onLine: onLine)
        try await PipeChannels.read(fd: fd, on: group, onData: splitter.consume, onEnd: {
            splitter.flush()
            onEnd()
        })
    }
}

/// Cuts a byte stream into lines. The channel calls it from one event loop; the lock only makes that
/// provable to the compiler.
private final class LineSplitter: Sendable {
    let onLine: @Sendable (String) -> Void
    let pending = Mutex<[UInt8]>([])

    init(onLine: @escaping @Sendable (String) -> Void) {
        self.onLine = onLine
    }

    func consume(_ bytes: [UInt8]) {
        for line in pending.withLock({ pending in
            var lines: [[UInt8]] = []
            for byte in bytes {
                if byte == UInt8(ascii: "\n") {
                    lines.append(pending)
                    pending.removeAll(keepingCapacity: true)
                } else {
                    pending.append(byte)
                    if pending.count >= LineReader.maxLineBytes {
                        lines.append(pending)
                        pending.removeAll(keepingCapacity: true)
                    }
                }
            }
            return lines
        }) {
            emit(line)
        }
    }

    /// End-of-file: a last line without a newline still counts.
    func flush() {
        let rest = pending.withLock { pending in
            defer { pending.removeAll() }
            return pending
        }
        if !rest.isEmpty { emit(rest) }
    }

    private func emit(_ bytes: [UInt8]) {
        var text = String(decoding: bytes, as: UTF8.self)
        if text.hasSuffix("\r") { text.removeLast() }
        onLine(text)
    }
}
