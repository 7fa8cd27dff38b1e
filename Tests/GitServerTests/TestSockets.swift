import Glibc

/// Plain TCP clients for the tests that talk to ports without SSH. Nothing here blocks a thread of the
/// cooperative pool, where the server's API lookups run.
enum TestSockets {
    /// Connects to 127.0.0.1:`port`.
    static func connect(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = loopback(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let error = errno
            close(fd)
            throw HarnessError("connect(127.0.0.1:\(port)) failed: errno \(error)")
        }
        return fd
    }

    /// A port nobody listens on now (bound to 0, read, closed).
    static func freeLocalPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        defer { close(fd) }
        var address = loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw HarnessError("bind(127.0.0.1:0) failed: errno \(errno)") }
        return try GitServerHarness.localPort(of: fd)
    }

    /// Reads what the peer sends until it closes the connection (true) or `limit` passes (false).
    static func readUntilClosed(_ fd: Int32, limit: Duration) async throws -> (text: String, closed: Bool) {
        let deadline = ContinuousClock.now + limit
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while ContinuousClock.now < deadline {
            let count = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if count > 0 {
                received += buffer[0..<count]
            } else if count == 0 || errno == ECONNRESET {
                return (String(decoding: received, as: UTF8.self), true)
            } else {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        return (String(decoding: received, as: UTF8.self), false)
    }

    /// Connects to 127.0.0.1:`port` as soon as something listens there, and reads until the peer closes.
    static func connectAndRead(port: Int, within limit: Duration) async throws -> String {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            guard let fd = try? connect(port: port) else {
                try await Task.sleep(for: .milliseconds(100))
                continue
            }
            defer { close(fd) }
            let (text, closed) = try await readUntilClosed(fd, limit: deadline - ContinuousClock.now)
            guard closed else { throw HarnessError("127.0.0.1:\(port) stayed open") }
            return text
        }
        throw HarnessError("nothing listened on 127.0.0.1:\(port) within \(limit)")
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }
}
