import Glibc

/// A minimal HTTP/1.0 GET over a POSIX socket with timeouts, to check from the host what an app serves.
enum HTTPProbe {
    /// The response body, or nil if the connection or request failed.
    static func get(address: String, path: String = "/", timeoutMilliseconds: Int = 2000) -> String? {
        try? probe(address: address, path: path, timeoutMilliseconds: timeoutMilliseconds).get()
    }

    /// Why a probe failed: the step and its errno (or what came back), for a test's message.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The response body, or what failed.
    static func probe(address: String, path: String = "/", timeoutMilliseconds: Int = 2000) -> Result<String, Failure> {
        func failed(_ step: String) -> Result<String, Failure> { .failure(Failure(description: "\(step): \(String(cString: strerror(errno)))")) }
        let parts = address.split(separator: ":")
        guard parts.count == 2, let port = UInt16(parts[1]) else { return .failure(Failure(description: "bad address \(address)")) }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return failed("socket") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: timeoutMilliseconds / 1000, tv_usec: (timeoutMilliseconds % 1000) * 1000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var socketAddress = sockaddr_in()
        socketAddress.sin_family = sa_family_t(AF_INET)
        socketAddress.sin_port = port.bigEndian
        guard inet_pton(AF_INET, String(parts[0]), &socketAddress.sin_addr) == 1 else { return .failure(Failure(description: "bad address \(address)")) }
        let connected = withUnsafePointer(to: &socketAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if connected != 0 {
            // A signal (SIGCHLD of a test's child process) interrupts connect, which goes on in the background:
            // wait for it to finish instead of counting a failure.
            guard errno == EINTR else { return failed("connect") }
            var pending = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            guard poll(&pending, 1, Int32(timeoutMilliseconds)) == 1,
                  getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0, error == 0 else { return failed("connect (interrupted)") }
        }
        let request = Array("GET \(path) HTTP/1.0\r\nHost: probe\r\n\r\n".utf8)
        var sent = send(fd, request, request.count, Int32(MSG_NOSIGNAL))
        while sent < 0 && errno == EINTR { sent = send(fd, request, request.count, Int32(MSG_NOSIGNAL)) }
        guard sent == request.count else { return failed("send") }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 8192)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { return failed("recv after \(response.count) bytes") }
            if count == 0 { break }
            response += buffer[0..<count]
        }
        let text = String(decoding: response, as: UTF8.self)
        guard text.hasPrefix("HTTP/1.") && text.contains(" 200 "), let split = text.range(of: "\r\n\r\n") else {
            return .failure(Failure(description: "answer \(text.prefix(200).debugDescription)"))
        }
        return .success(String(text[split.upperBound...]))
    }
}
