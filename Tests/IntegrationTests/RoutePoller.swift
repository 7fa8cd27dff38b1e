import Foundation
import Glibc
import Synchronization
import Systemd

/// A client of the edge: sends GET / for `host` to the edge every 20 ms, on a thread of its own, counting
/// the answers that were not HTTP 200.
final class RoutePoller: Sendable {
    struct Tally: Sendable {
        var succeeded = 0
        var failed: [String] = []
        var bodies: Set<String> = []
    }

    let host: String
    private let address: String
    private let tally = Mutex(Tally())
    private let running = Atomic<Bool>(true)
    private let stopped = Mutex<CheckedContinuation<Void, Never>?>(nil)

    /// - Parameter address: The edge's `ip:port`.
    init(host: String, via address: String) throws {
        self.host = host
        self.address = address
        try DetachedThread.start { [self] in pollUntilStopped() }
    }

    /// Stops polling and returns what it saw.
    func stop() async -> Tally {
        await withCheckedContinuation { continuation in
            stopped.withLock { $0 = continuation }
            running.store(false, ordering: .releasing)
        }
        return tally.withLock { $0 }
    }

    private func pollUntilStopped() {
        while running.load(ordering: .acquiring) {
            let started = ContinuousClock.now
            let answer = Self.get(address, host: host)
            tally.withLock { tally in
                if answer.status == 200 {
                    tally.succeeded += 1
                    tally.bodies.insert(answer.body)
                } else {
                    tally.failed.append((answer.status == 0 ? answer.body : "HTTP \(answer.status)") + " after \(ContinuousClock.now - started)")
                }
            }
            usleep(20_000)
        }
        stopped.withLock { $0 }?.resume()
    }

    /// One HTTP/1.0 GET / with a 5-second limit on each step; status 0 and the error as body when it failed.
    /// A refused or reset connection or an error status fails at once; the limit only keeps a machine loaded by
    /// the other suites from counting a slow answer as a failure (a 2 s limit ran out once in a full run).
    static func get(_ backend: String, host: String) -> (status: Int, body: String) {
        guard let colon = backend.lastIndex(of: ":"), let port = UInt16(backend[backend.index(after: colon)...]) else {
            return (0, "bad backend \(backend)")
        }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return (0, "socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var limit = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr(String(backend[..<colon]))
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return (0, "connect: \(String(cString: strerror(errno)))") }
        let request = Array("GET / HTTP/1.0\r\nHost: \(host)\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else {
            return (0, "send: \(String(cString: strerror(errno)))")
        }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 { response += buffer[0..<count]; continue }
            if count < 0 { return (0, "recv: \(String(cString: strerror(errno)))") }
            break
        }
        let text = String(decoding: response, as: UTF8.self)
        let fields = text.split(separator: " ", maxSplits: 2)
        let body = text.range(of: "\r\n\r\n").map { String(text[$0.upperBound...]) } ?? ""
        return (fields.count > 1 ? Int(fields[1]) ?? 0 : 0, body)
    }
}
