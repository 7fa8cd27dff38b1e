import AsyncHTTPClient
import Crypto
import Foundation
import Glibc
import NIOCore
import SwiftASN1
import Systemd
import X509

import ACME

/// A real pebble (Let's Encrypt's test ACME server, Debian's `pebble`) on free local ports, with a
/// fresh CA of the test's own for pebble's HTTPS listener (pebble ships none). Challenges are taken as
/// valid (`PEBBLE_VA_ALWAYS_VALID`): the tests exercise this client's protocol, not DNS.
public final class PebbleServer: Sendable {
    static let executable = "/usr/bin/pebble"

    /// A scratch directory with the config, the listener's certificate and pebble's log.
    public let workDirectory: String
    /// `https://127.0.0.1:<port>/dir`.
    public let directoryURL: String
    /// `https://127.0.0.1:<port>` of the management interface (roots, intermediates).
    public let managementURL: String
    /// The CA that signed pebble's listener certificate: what an ACME client must trust.
    public let listenerRootPEM: String
    private let process: ChildProcess

    private init(workDirectory: String, directoryURL: String, managementURL: String, listenerRootPEM: String, process: ChildProcess) {
        self.workDirectory = workDirectory
        self.directoryURL = directoryURL
        self.managementURL = managementURL
        self.listenerRootPEM = listenerRootPEM
        self.process = process
    }

    /// How pebble's validation authority treats challenges.
    public enum Validation: Sendable {
        /// Every challenge passes without a look (`PEBBLE_VA_ALWAYS_VALID`).
        case alwaysValid
        /// Real HTTP-01: pebble resolves each name with `dnsServer` and fetches the answer from that
        /// address on `httpPort`.
        case real(httpPort: Int, dnsServer: String)
    }

    /// Runs `body` with a started pebble and stops it afterwards, whatever happens.
    public static func withRunning<Result: Sendable>(
        environment: [String: String] = [:],
        arguments: [String] = [],
        _ body: (PebbleServer) async throws -> Result
    ) async throws -> Result {
        let pebble = try await start(environment: environment, arguments: arguments)
        do {
            let result = try await body(pebble)
            await pebble.stop()
            return result
        } catch {
            await pebble.stop()
            throw error
        }
    }

    /// Starts pebble; retries with new ports when one was taken meanwhile.
    public static func start(environment: [String: String] = [:], arguments: [String] = [],
                             validation: Validation = .alwaysValid) async throws -> PebbleServer {
        var lastError: (any Error)?
        for _ in 0..<3 {
            do {
                return try await launch(environment: environment, arguments: arguments, validation: validation)
            } catch {
                lastError = error
            }
        }
        throw lastError ?? PebbleFailure(message: "pebble did not start")
    }

    /// Kills pebble and removes its directory (again: a no-op).
    public func stop() async {
        try? process.signal(SIGKILL)
        _ = await process.waitForExit()
        try? FileManager.default.removeItem(atPath: workDirectory)
    }

    /// The root of pebble's issuing hierarchy (made fresh at every start).
    public func issuingRootPEM() async throws -> String {
        try await management("/roots/0")
    }

    /// A GET on pebble's management interface.
    private func management(_ path: String) async throws -> String {
        let client = try ACMEClient.makeHTTPClient(additionalTrustRootsPEM: listenerRootPEM)
        do {
            let response = try await client.execute(HTTPClientRequest(url: managementURL + path), timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 1 << 20)
            try await client.shutdown()
            guard response.status == .ok else { throw PebbleFailure(message: "GET \(path) answered \(response.status)") }
            return String(buffer: body)
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    /// The listener CA's certificate as a file, for curl's `--cacert`.
    public var listenerRootPath: String { workDirectory + "/listener-root.pem" }

    /// The orders pebble created ("There are now N orders in the db").
    public var orderCount: Int {
        log.split(separator: "\n").compactMap { line -> Int? in
            guard line.hasSuffix(" orders in the db"), let range = line.range(of: "There are now ") else { return nil }
            return Int(line[range.upperBound...].prefix { $0.isNumber })
        }.max() ?? 0
    }

    /// The serials pebble issued ("Issued certificate serial S for order O"), as it spells them.
    public var issuedSerials: [String] {
        log.split(separator: "\n").compactMap { line -> String? in
            guard let range = line.range(of: "Issued certificate serial ") else { return nil }
            return String(line[range.upperBound...].prefix { !$0.isWhitespace })
        }
    }

    /// An issued certificate, from the management interface.
    public func issuedCertificate(serial: String) async throws -> Certificate {
        struct Status: Decodable { let Certificate: String }
        let body = try await management("/cert-status-by-serial/\(serial)")
        return try Certificate(pemEncoded: try JSONDecoder().decode(Status.self, from: Data(body.utf8)).Certificate)
    }

    /// pebble's output so far, for failure messages.
    public var log: String {
        (try? String(contentsOfFile: workDirectory + "/pebble.log", encoding: .utf8)) ?? "(no log)"
    }

    private static func launch(environment extra: [String: String], arguments: [String],
                               validation: Validation) async throws -> PebbleServer {
        var template = Array("/tmp/paastech-pebble-XXXXXX".utf8CString)
        guard let created = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw PebbleFailure(message: "mkdtemp failed: errno \(errno)")
        }
        let directory = String(cString: created)
        do {
            let listener = try ListenerCertificates()
            try listener.certificatePEM.write(toFile: directory + "/cert.pem", atomically: true, encoding: .utf8)
            try listener.keyPEM.write(toFile: directory + "/key.pem", atomically: true, encoding: .utf8)
            try listener.rootPEM.write(toFile: directory + "/listener-root.pem", atomically: true, encoding: .utf8)
            let ports = try freePorts(4)
            var httpPort = ports[2]
            var arguments = arguments
            if case .real(let port, let dnsServer) = validation {
                httpPort = port
                arguments += ["-dnsserver", dnsServer]
            }
            let config = """
            {
              "pebble": {
                "listenAddress": "127.0.0.1:\(ports[0])",
                "managementListenAddress": "127.0.0.1:\(ports[1])",
                "certificate": "\(directory)/cert.pem",
                "privateKey": "\(directory)/key.pem",
                "httpPort": \(httpPort),
                "tlsPort": \(ports[3]),
                "ocspResponderURL": "",
                "externalAccountBindingRequired": false
              }
            }
            """
            try config.write(toFile: directory + "/pebble-config.json", atomically: true, encoding: .utf8)
            let log = open(directory + "/pebble.log", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard log >= 0 else { throw PebbleFailure(message: "open pebble.log failed: errno \(errno)") }
            defer { close(log) }
            var environment = [
                "PATH": "/usr/bin:/bin",
                "PEBBLE_VA_NOSLEEP": "1",
                "PEBBLE_WFE_NONCEREJECT": "0",
                // Fresh authorizations every order, so every issuance publishes challenges.
                "PEBBLE_AUTHZREUSE": "0",
            ]
            if case .alwaysValid = validation { environment["PEBBLE_VA_ALWAYS_VALID"] = "1" }
            environment.merge(extra) { $1 }
            let process = try ChildProcess.spawn(
                executable: executable, arguments: ["-config", directory + "/pebble-config.json"] + arguments,
                environment: environment, passingFDs: [], output: log, directory: directory)
            let pebble = PebbleServer(
                workDirectory: directory, directoryURL: "https://127.0.0.1:\(ports[0])/dir",
                managementURL: "https://127.0.0.1:\(ports[1])", listenerRootPEM: listener.rootPEM, process: process)
            do {
                try await pebble.waitUntilReady()
            } catch {
                let log = pebble.log
                await pebble.stop()
                throw PebbleFailure(message: "pebble did not answer: \(error)\n\(log)")
            }
            return pebble
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
    }

    /// Polls the directory until it answers (pebble generates its CA keys first), up to 30 s.
    private func waitUntilReady() async throws {
        let client = try ACMEClient.makeHTTPClient(additionalTrustRootsPEM: listenerRootPEM)
        let deadline = ContinuousClock.now + .seconds(30)
        var lastError: (any Error)?
        var ready = false
        while !ready && ContinuousClock.now < deadline {
            do {
                let response = try await client.execute(HTTPClientRequest(url: directoryURL), timeout: .seconds(2))
                _ = try await response.body.collect(upTo: 1 << 20)
                ready = response.status == .ok
            } catch {
                lastError = error
            }
            if !ready { try? await Task.sleep(for: .milliseconds(50)) }
        }
        try? await client.shutdown()
        guard ready else {
            throw PebbleFailure(message: "no answer within 30 s: \(lastError.map { "\($0)" } ?? "?")")
        }
    }

    /// `count` distinct free TCP ports on 127.0.0.1 (held open together while they are picked).
    public static func freePorts(_ count: Int) throws -> [Int] {
        var sockets: [Int32] = []
        defer { sockets.forEach { close($0) } }
        var ports: [Int] = []
        for _ in 0..<count {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw PebbleFailure(message: "socket failed: errno \(errno)") }
            sockets.append(fd)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0 else { throw PebbleFailure(message: "bind failed: errno \(errno)") }
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            ports.append(Int(UInt16(bigEndian: address.sin_port)))
        }
        return ports
    }
}
