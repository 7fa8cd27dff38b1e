import Foundation
import PebbleTestSupport
import Glibc
import Systemd

/// Debian's `pebble-challtestsrv` as nothing but a mock DNS server for pebble's validation authority
/// (`pebble -dnsserver`): every A query is answered with 127.0.0.1 unless a host has a record of its
/// own (``addA(host:addresses:)``), AAAA queries get no answer, and its management API tells which
/// names were asked for (``queries(for:)``). Its own challenge responders are all off: the edge answers.
final class ChallengeDNS: Sendable {
    static let executable = "/usr/bin/pebble-challtestsrv"

    /// `127.0.0.1:<port>`, UDP and TCP.
    let address: String
    let port: Int
    /// `http://127.0.0.1:<port>`.
    let managementURL: String
    let logPath: String
    private let process: ChildProcess

    private init(address: String, port: Int, managementURL: String, logPath: String, process: ChildProcess) {
        self.address = address
        self.port = port
        self.managementURL = managementURL
        self.logPath = logPath
        self.process = process
    }

    /// Starts the server with its log in `directory`; retries with new ports when one was taken meanwhile.
    static func start(in directory: String) async throws -> ChallengeDNS {
        var lastError: (any Error)?
        for _ in 0..<3 {
            do {
                return try await launch(in: directory)
            } catch {
                lastError = error
            }
        }
        throw lastError ?? CertificateTestFailure("pebble-challtestsrv did not start")
    }

    func stop() async {
        try? process.signal(SIGKILL)
        _ = await process.waitForExit()
    }

    var log: String {
        (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "(no log)"
    }

    /// Makes A queries for `host` answer `addresses` instead of the default 127.0.0.1.
    func addA(host: String, addresses: [String]) async throws {
        let body = try JSONSerialization.data(withJSONObject: ["host": host, "addresses": addresses])
        _ = try await post("/add-a", body: body)
    }

    /// The DNS questions (name, query type) the server received for `host` (any case the asker used is
    /// folded by the server's history only as far as the trailing dot).
    func queries(for host: String) async throws -> [(name: String, type: Int)] {
        struct Event: Decodable {
            struct Question: Decodable {
                let Name: String
                let Qtype: Int
            }
            let Question: Question
        }
        let body = try JSONSerialization.data(withJSONObject: ["host": host])
        let answer = try await post("/dns-request-history", body: body)
        return try JSONDecoder().decode([Event].self, from: Data(answer)).map { ($0.Question.Name, $0.Question.Qtype) }
    }

    /// Asks the server for the A records of `name` over UDP, as pebble's resolver does.
    func resolveA(_ name: String) async throws -> [String] {
        let deadline = ContinuousClock.now + .seconds(10)
        var lastError: (any Error)?
        while ContinuousClock.now < deadline {
            do {
                return try Self.queryA(name, port: port)
            } catch {
                lastError = error
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        throw CertificateTestFailure("no DNS answer for \(name) from \(address): \(lastError.map { "\($0)" } ?? "?")")
    }

    private func post(_ path: String, body: Data) async throws -> [UInt8] {
        let result = try await ProgramRun(
            "/usr/bin/curl", ["-sS", "--fail", "--max-time", "10", "-X", "POST", "--data-binary", "@-", managementURL + path],
            environment: ["PATH": "/usr/bin:/bin"], input: Array(body), timeout: .seconds(20)).run()
        guard result.exitCode == 0 else { throw CertificateTestFailure("POST \(path) to pebble-challtestsrv failed: \(result)") }
        return result.stdout
    }

    private static func launch(in directory: String) async throws -> ChallengeDNS {
        let ports = try freeTCPAndUDPPorts(2)
        let logPath = directory + "/challtestsrv.log"
        let log = open(logPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard log >= 0 else { throw CertificateTestFailure("open \(logPath) failed: errno \(errno)") }
        defer { close(log) }
        let process = try ChildProcess.spawn(
            executable: executable,
            arguments: ["-defaultIPv4", "127.0.0.1", "-defaultIPv6=", "-dns01", "127.0.0.1:\(ports[0])",
                        "-http01=", "-https01=", "-tlsalpn01=", "-management", "127.0.0.1:\(ports[1])"],
            environment: ["PATH": "/usr/bin:/bin"], passingFDs: [], output: log, directory: directory)
        let server = ChallengeDNS(address: "127.0.0.1:\(ports[0])", port: ports[0], managementURL: "http://127.0.0.1:\(ports[1])",
                                  logPath: logPath, process: process)
        do {
            // Both halves up: the DNS listener answers (with the default address) and so does the API.
            let answer = try await server.resolveA("readiness.probe.test")
            guard answer == ["127.0.0.1"] else { throw CertificateTestFailure("the probe resolved to \(answer)") }
            _ = try await server.queries(for: "readiness.probe.test")
            return server
        } catch {
            let output = server.log
            await server.stop()
            throw CertificateTestFailure("pebble-challtestsrv did not come up: \(error)\n\(output)")
        }
    }

    /// `count` port numbers free for both TCP and UDP on 127.0.0.1 (the DNS server binds both).
    private static func freeTCPAndUDPPorts(_ count: Int) throws -> [Int] {
        var ports: [Int] = []
        var attempts = 0
        while ports.count < count {
            attempts += 1
            guard attempts < 50 else { throw CertificateTestFailure("no port free for both TCP and UDP") }
            let candidate = try PebbleServer.freePorts(1)[0]
            if !ports.contains(candidate), udpPortIsFree(candidate) { ports.append(candidate) }
        }
        return ports
    }

    private static func udpPortIsFree(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = loopback(port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return address
    }

    /// One A query over UDP (waiting at most 200 ms for the answer); the IPv4 addresses answered.
    private static func queryA(_ name: String, port: Int) throws -> [String] {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw CertificateTestFailure("socket failed: errno \(errno)") }
        defer { close(fd) }
        var wait = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
        let id = UInt16.random(in: 1...UInt16.max)
        var query: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xff), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
        for label in name.split(separator: ".") {
            query.append(UInt8(label.utf8.count))
            query += Array(label.utf8)
        }
        query += [0, 0, 1, 0, 1]  // root, type A, class IN
        var server = loopback(port: port)
        let sent = withUnsafePointer(to: &server) { serverPointer in
            serverPointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                query.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, 0, address, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        guard sent == query.count else { throw CertificateTestFailure("sendto failed: errno \(errno)") }
        var buffer = [UInt8](repeating: 0, count: 1500)
        let received = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard received >= 12 else { throw CertificateTestFailure("no DNS answer (errno \(errno))") }
        let message = Array(buffer[0..<received])
        guard message[0] == query[0], message[1] == query[1] else { throw CertificateTestFailure("a DNS answer to another query") }
        func u16(_ at: Int) -> Int { Int(message[at]) << 8 | Int(message[at + 1]) }
        /// The offset after the (possibly compressed) name starting at `offset`.
        func skipName(_ offset: Int) -> Int {
            var at = offset
            while at < message.count {
                let length = Int(message[at])
                if length == 0 { return at + 1 }
                if length & 0xC0 == 0xC0 { return at + 2 }
                at += 1 + length
            }
            return at
        }
        let questions = u16(4)
        let answers = u16(6)
        var at = 12
        for _ in 0..<questions { at = skipName(at) + 4 }
        var addresses: [String] = []
        for _ in 0..<answers {
            at = skipName(at)
            guard at + 10 <= message.count else { break }
            let type = u16(at)
            let length = u16(at + 8)
            at += 10
            if type == 1, length == 4, at + 4 <= message.count {
                addresses.append(message[at..<(at + 4)].map(String.init).joined(separator: "."))
            }
            at += length
        }
        return addresses
    }
}
