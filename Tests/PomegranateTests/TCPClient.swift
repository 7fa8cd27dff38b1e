import Glibc

/// A blocking TCP connection with timeouts, for tests that talk to an instance from the host.
final class TCPClient {
    /// What failed: the step and its errno, for a test's message.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private var fd: Int32

    init(address: String, timeoutMilliseconds: Int = 3000) throws(Failure) {
        func failure(_ step: String) -> Failure { Failure(description: "\(step): \(String(cString: strerror(errno)))") }
        let parts = address.split(separator: ":")
        guard parts.count == 2, let port = UInt16(parts[1]) else { throw Failure(description: "bad address \(address)") }
        var socketAddress = sockaddr_in()
        socketAddress.sin_family = sa_family_t(AF_INET)
        socketAddress.sin_port = port.bigEndian
        guard inet_pton(AF_INET, String(parts[0]), &socketAddress.sin_addr) == 1 else { throw Failure(description: "bad address \(address)") }
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw failure("socket") }
        var timeout = timeval(tv_sec: timeoutMilliseconds / 1000, tv_usec: (timeoutMilliseconds % 1000) * 1000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let connected = withUnsafePointer(to: &socketAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if connected != 0 {
            // A signal (SIGCHLD of a test's child process) interrupts connect, which goes on in the background:
            // wait for it to finish instead of counting a failure.
            guard errno == EINTR else { throw failure("connect") }
            var pending = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            guard poll(&pending, 1, Int32(timeoutMilliseconds)) == 1,
                  getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0, error == 0 else { throw failure("connect (interrupted)") }
        }
    }

    func send(_ text: String) throws(Failure) {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw Failure(description: "send: \(String(cString: strerror(errno)))") }
            sent += count
        }
    }

    /// Everything until the peer closes; a receive timeout or error before that is a failure.
    func receive() throws(Failure) -> String {
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 8192)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw Failure(description: "recv after \(response.count) bytes: \(String(cString: strerror(errno)))") }
            if count == 0 { break }
            response += buffer[0..<count]
        }
        return String(decoding: response, as: UTF8.self)
    }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    deinit { close() }
}
