import Glibc
import Testing

@testable import Systemd

/// A fresh directory under /tmp, removed (with its files) by `remove()`.
struct TemporaryDirectory {
    let path: String

    init() throws {
        var template = Array("/tmp/systemd-tests-XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        path = String(cString: try #require(created))
    }

    func remove() {
        if let directory = opendir(path) {
            while let entry = readdir(directory) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
                if name != "." && name != ".." { unlink("\(path)/\(name)") }
            }
            closedir(directory)
        }
        rmdir(path)
    }
}

/// Runs blocking test I/O on a thread of its own, so it never starves the cooperative pool that the
/// servers under test need.
func onOwnThread<Value: Sendable>(_ body: @escaping @Sendable () throws -> Value) async throws -> Value {
    try await withCheckedThrowingContinuation { continuation in
        do {
            try DetachedThread.start { continuation.resume(with: Result { try body() }) }
        } catch {
            continuation.resume(throwing: error)
        }
    }
}

/// Throws the errno of a failed test syscall.
@discardableResult
func checked(_ result: Int32, _ operation: String) throws -> Int32 {
    if result == -1 { throw SystemCallError(operation: operation, errno: errno) }
    return result
}

/// The local port of a bound TCP socket.
func localPort(of fd: Int32) throws -> Int {
    guard let port = ListeningSocket.localPort(fd) else { throw SystemCallError(operation: "getsockname(\(fd))", errno: errno) }
    return port
}

/// Reads from `fd` until end of file.
func readAll(_ fd: Int32) throws -> [UInt8] {
    var data: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count < 0 {
            if errno == EINTR { continue }
            throw SystemCallError(operation: "read", errno: errno)
        }
        if count == 0 { return data }
        data += buffer[0..<count]
    }
}

/// A close-on-exec pipe: (read end, write end).
func makePipe() throws -> (read: Int32, write: Int32) {
    var ends: [Int32] = [0, 0]
    try checked(pipe(&ends), "pipe")
    for end in ends { try checked(fcntl(end, F_SETFD, FD_CLOEXEC), "fcntl(FD_CLOEXEC)") }
    return (ends[0], ends[1])
}

/// Where a test client connects.
enum TestEndpoint: Sendable {
    case tcp(port: Int)
    case unix(path: String)
}

/// An HTTP/1.1 response read by ``RawHTTPClient``.
struct RawHTTPResponse: Sendable {
    let statusLine: String
    let headers: [String: String]
    let body: String
}

/// A minimal blocking HTTP/1.1 client over a raw socket, so the server is tested with real connections.
enum RawHTTPClient {
    static func get(_ path: String, from endpoint: TestEndpoint) async throws -> RawHTTPResponse {
        try await onOwnThread { try getBlocking(path, from: endpoint) }
    }

    /// Opens a connection, or throws with errno (ECONNREFUSED once the server stopped).
    static func connectBlocking(_ endpoint: TestEndpoint) throws -> Int32 {
        switch endpoint {
        case .tcp(let port):
            let fd = try checked(socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0), "socket")
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let result = withUnsafeBytes(of: &address) {
                connect(fd, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t($0.count))
            }
            if result == -1 {
                let error = errno
                close(fd)
                throw SystemCallError(operation: "connect(127.0.0.1:\(port))", errno: error)
            }
            return fd
        case .unix(let path):
            let fd = try checked(socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0), "socket")
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
            let result = withUnsafeBytes(of: &address) {
                connect(fd, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t($0.count))
            }
            if result == -1 {
                let error = errno
                close(fd)
                throw SystemCallError(operation: "connect(\(path))", errno: error)
            }
            return fd
        }
    }

    static func getBlocking(_ path: String, from endpoint: TestEndpoint) throws -> RawHTTPResponse {
        let fd = try connectBlocking(endpoint)
        defer { close(fd) }
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        try checked(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size)), "SO_RCVTIMEO")
        let request = Array("GET \(path) HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n".utf8)
        let sent = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        try checked(Int32(sent), "send")
        let text = String(decoding: try readAll(fd), as: UTF8.self)
        let parts = text.split(separator: "\r\n\r\n", maxSplits: 1, omittingEmptySubsequences: false)
        var lines = parts[0].split(separator: "\r\n").map(String.init)
        let statusLine = lines.isEmpty ? "" : lines.removeFirst()
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingPrefix(" ").description
        }
        return RawHTTPResponse(statusLine: statusLine, headers: headers, body: parts.count > 1 ? String(parts[1]) : "")
    }
}
