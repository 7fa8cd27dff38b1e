import Glibc

/// The few raw syscalls this target makes (waiting on sockets, waking a listener thread), each
/// retrying EINTR and reporting errno with what was being attempted.
enum PostgresSystemCall {
    /// Waits until one of `descriptors` is ready; `timeoutMilliseconds` -1 waits forever.
    static func poll(_ descriptors: inout [pollfd], timeoutMilliseconds: Int32, _ attempt: String) throws -> Int32 {
        while true {
            let ready = descriptors.withUnsafeMutableBufferPointer {
                Glibc.poll($0.baseAddress, nfds_t($0.count), timeoutMilliseconds)
            }
            if ready >= 0 { return ready }
            if errno != EINTR { throw failure(attempt) }
        }
    }

    /// A close-on-exec connected socket pair used to wake a thread blocked in `poll`: the thread polls
    /// `.receiver`; a byte written to `.sender` wakes it. (Glibc's Swift module exposes neither
    /// eventfd nor pipe2.)
    static func makeWakePair(_ attempt: String) throws -> (receiver: Int32, sender: Int32) {
        var descriptors: [Int32] = [-1, -1]
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        guard socketpair(AF_UNIX, type, 0, &descriptors) == 0 else { throw failure(attempt) }
        return (descriptors[0], descriptors[1])
    }

    /// Writes one byte to `descriptor`, waking whoever polls the other end.
    static func wake(_ descriptor: Int32) throws {
        var byte: UInt8 = 1
        while true {
            if send(descriptor, &byte, 1, Int32(MSG_NOSIGNAL)) >= 0 { return }
            if errno != EINTR { throw failure("waking the LISTEN thread (send on its wake socket)") }
        }
    }

    static func close(_ descriptor: Int32) {
        // close(2) must not be retried on EINTR on Linux: the descriptor is released either way.
        _ = Glibc.close(descriptor)
    }

    private static func failure(_ attempt: String) -> PostgresError {
        let code = errno
        return PostgresError(
            kind: .connectionLost, message: "\(attempt) failed: errno \(code) (\(String(cString: strerror(code))))")
    }
}
