import Foundation
import Logging
import Systemd
import Testing
@testable import Pomegranate

@Suite("Pomegranate: uids, logs, validation")
struct PomegranateUnitTests {
    /// A table as the kernel writes it: a listener on 8000 (0A), two connections to it (01: one from the edge,
    /// one on IPv6 in tcp6's format), one closing (06 TIME_WAIT), and the app's own connection out to 5432.
    @Test func openConnectionsCountsEstablishedOnesToThePort() {
        let header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
        let tcp = header + """
               0: 00000000:1F40 00000000:0000 0A 00000000:00000000 00:00000000 00000000 200000        0 1 1 0 100 0 0 10 0
               1: 0C00580A:1F40 0100580A:B1A2 01 00000000:00000000 00:00000000 00000000 200000        0 2 1 0 20 4 30 10 -1
               2: 0C00580A:1F40 0100580A:B1A4 06 00000000:00000000 03:00000F9B 00000000     0        0 0 3 0
               3: 0C00580A:C350 0100580A:1538 01 00000000:00000000 00:00000000 00000000 200000        0 4 1 0 20 4 30 10 -1
            """
        let tcp6 = header + """
               0: 0000000000000000FFFF00000C00580A:1F40 0000000000000000FFFF00000100580A:B1B0 01 00000000:00000000 00:00000000 00000000 200000 0 5 1 0 20 4 30 10 -1
            """
        #expect(SocketTable.establishedConnections(toPort: 8000, in: tcp) == 1)
        #expect(SocketTable.establishedConnections(toPort: 8000, in: tcp6) == 1)
        #expect(SocketTable.establishedConnections(toPort: 5432, in: tcp) == 0, "an outgoing connection is not one to the app")
        #expect(SocketTable.establishedConnections(toPort: 50000, in: tcp) == 1)
        let port80 = header + "   0: 0100007F:0050 0100007F:C000 01 00000000:00000000 00:00000000 00000000 0 0 6 1 0 20 4 30 10 -1\n"
        #expect(SocketTable.establishedConnections(toPort: 80, in: port80) == 1, "a port of fewer than four hex digits")
        #expect(OpenConnections.count(pid: Int32.max, port: 8000) == nil)
    }

    /// Sixty connections make a table far longer than one 4 KiB read: all are counted.
    @Test func openConnectionsReadsTheWholeTable() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) == 0 && getsockname(listener, $0, &length) == 0 }
        }
        try #require(bound && listen(listener, 128) == 0)
        let port = Int(UInt16(bigEndian: address.sin_port))
        // Accepted or not, each is ESTABLISHED on the listener's side once the handshake is done.
        let clients = try (0..<60).map { _ in try TCPClient(address: "127.0.0.1:\(port)") }
        #expect(OpenConnections.count(pid: getpid(), port: port) == clients.count)
    }

    static func temporaryDirectory() -> String {
        let path = "/tmp/paastech-pomunit-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func uidsAreAllocatedOnceRecordedAndNeverShared() throws {
        let path = Self.temporaryDirectory() + "/uids.json"
        let allocator = try UIDAllocator(range: 300_000...300_002, path: path)
        let first = try allocator.uid(forProject: "a")
        let second = try allocator.uid(forProject: "b")
        #expect(first == 300_000 && second == 300_001)
        #expect(try allocator.uid(forProject: "a") == first)
        // A new allocator (a restarted pomegranate) reads the record.
        let reloaded = try UIDAllocator(range: 300_000...300_002, path: path)
        #expect(try reloaded.uid(forProject: "b") == second)
        #expect(try reloaded.uid(forProject: "c") == 300_002)
        #expect(throws: PomegranateError.uidRangeExhausted(range: 300_000...300_002)) { try reloaded.uid(forProject: "d") }
    }

    @Test func theLogIsBoundedAndKeepsTheNewestLines() throws {
        let directory = Self.temporaryDirectory()
        let log = try DeploymentLog(directory: directory, maxBytes: 4096)
        for index in 0..<500 {
            try log.append(LogLine(timestamp: Int64(index), instance: "web-1", stream: .stdout, text: "line \(index)\twith a tab"))
        }
        let lines = log.lines()
        let size = [log.currentPath, log.previousPath].compactMap { try? FileManager.default.attributesOfItem(atPath: $0)[.size] as? Int }
        #expect(size.reduce(0, +) <= 4096)
        #expect(lines.last?.text == "line 499\twith a tab")
        #expect(lines.count > 40)
        #expect(lines.map(\.timestamp) == lines.map(\.timestamp).sorted())
    }

    @Test func followersGetHistoryThenNewLinesOfTheirInstance() async throws {
        let book = LogBook(directory: Self.temporaryDirectory(), maxBytes: 1 << 20, forwardsToJournal: false, logger: Logger(label: "test"))
        let identity = DeploymentIdentity(projectID: "p", projectName: "shop", deploymentID: "d1", deploymentName: "web")
        book.append("before", stream: .stdout, instance: "web-a", deployment: identity)
        book.append("other instance", stream: .stdout, instance: "web-b", deployment: identity)
        let stream = book.lines(deploymentID: "d1", instance: "web-a", follow: true)
        book.append("after", stream: .stderr, instance: "web-a", deployment: identity)
        var received: [String] = []
        for await line in stream {
            received.append(line.text)
            if received.count == 2 { break }
        }
        #expect(received == ["before", "after"])
        let tail = book.lines(deploymentID: "d1", tail: 1, follow: false)
        var tailLines: [String] = []
        for await line in tail { tailLines.append(line.text) }
        #expect(tailLines == ["after"])
    }

    @Test func badRequestFieldsAreRefusedWithTheirName() {
        #expect(throws: PomegranateError.self) { try RequestValidation.uuid("deployment_id", "../etc") }
        #expect(throws: PomegranateError.self) { try RequestValidation.name("release_id", "Release_1") }
        #expect(throws: PomegranateError.self) { try RequestValidation.directory("release_directory", "/tmp/../etc") }
        #expect(throws: PomegranateError.self) { try RequestValidation.directory("release_directory", "relative/path") }
        #expect(throws: PomegranateError.self) { try RequestValidation.environment("environment", ["1BAD": "x"]) }
        #expect(throws: PomegranateError.self) { try RequestValidation.hosts("hosts", ["Bad Host"]) }
        #expect(throws: PomegranateError.self) { try RequestValidation.command("command", []) }
        do {
            _ = try RequestValidation.name("release_id", "UPPER")
        } catch {
            #expect(error.description.hasPrefix("release_id:"))
        }
        #expect((try? RequestValidation.hosts("hosts", ["web.shop.apps.localhost"])) != nil)
    }

    @Test func backoffDoublesUpToTheMaximum() {
        var settings = SupervisorSettings()
        settings.restartBackoffMaxSeconds = 10
        #expect((1...6).map { settings.backoff(restart: $0) } == [1, 2, 4, 8, 10, 10])
    }
}
