import Glibc
import Testing

@testable import Systemd

@Suite("Listening sockets")
struct ListeningSocketTests {
    @Test func tcpOnLoopbackListensWithCloseOnExec() throws {
        let fd = try ListeningSocket.bindTCP(host: "127.0.0.1", port: 0)
        defer { close(fd) }
        #expect(fcntl(fd, F_GETFD) & FD_CLOEXEC != 0)
        let port = try localPort(of: fd)
        #expect(port > 0)
        // A real connection is queued by the kernel even though nobody accepts yet.
        let client = try RawHTTPClient.connectBlocking(.tcp(port: port))
        close(client)
    }

    @Test func theLocalPortTellsApartTheSocketsOfOneUnit() throws {
        let first = try ListeningSocket.bindTCP(host: "127.0.0.1", port: 0)
        let second = try ListeningSocket.bindTCP(host: "127.0.0.1", port: 0)
        let unix = try ListeningSocket.bindUnix(path: "/tmp/paastech-localport-\(getpid()).sock", mode: 0o600)
        defer { close(first); close(second); close(unix); unlink("/tmp/paastech-localport-\(getpid()).sock") }
        let ports = [ListeningSocket.localPort(first), ListeningSocket.localPort(second)]
        #expect(ports.allSatisfy { ($0 ?? 0) > 0 } && ports[0] != ports[1])
        #expect(ListeningSocket.localPort(unix) == nil)
        #expect(ListeningSocket.localPort(-1) == nil)
    }

    @Test func tcpOnIPv6Loopback() throws {
        let fd: Int32
        do {
            fd = try ListeningSocket.bindTCP(host: "::1", port: 0)
        } catch let error as SystemCallError where error.errno == EADDRNOTAVAIL || error.errno == EAFNOSUPPORT {
            return  // no IPv6 loopback on this host
        }
        defer { close(fd) }
        #expect(try localPort(of: fd) > 0)
        let bracketed = try ListeningSocket.bindTCP(host: "[::1]", port: 0)
        close(bracketed)
    }

    @Test func portInUseSaysHowToFindTheOwner() throws {
        let first = try ListeningSocket.bindTCP(host: "127.0.0.1", port: 0)
        defer { close(first) }
        let port = try localPort(of: first)
        let error = #expect(throws: SystemCallError.self) {
            try ListeningSocket.bindTCP(host: "127.0.0.1", port: port)
        }
        #expect(error?.errno == EADDRINUSE)
        #expect(error?.description.contains("ss -ltnp") == true)
    }

    @Test func hostNamesAndBadPortsAreRejected() {
        #expect(throws: ListeningSocketError.invalidHost("localhost")) {
            try ListeningSocket.bindTCP(host: "localhost", port: 0)
        }
        #expect(throws: ListeningSocketError.invalidPort(70_000)) {
            try ListeningSocket.bindTCP(host: "127.0.0.1", port: 70_000)
        }
    }

    @Test func unixSocketGetsTheRequestedMode() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = "\(directory.path)/api.sock"
        let fd = try ListeningSocket.bindUnix(path: path, mode: 0o640)
        defer { close(fd) }
        var status = stat()
        try checked(lstat(path, &status), "lstat")
        #expect(status.st_mode & S_IFMT == S_IFSOCK)
        #expect(status.st_mode & 0o777 == 0o640)
        #expect(fcntl(fd, F_GETFD) & FD_CLOEXEC != 0)
        close(try RawHTTPClient.connectBlocking(.unix(path: path)))
    }

    @Test func unixAndTCPSocketsAreToldApart() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let unix = try ListeningSocket.bindUnix(path: "\(directory.path)/kind.sock", mode: 0o600)
        defer { close(unix) }
        let tcp = try ListeningSocket.bindTCP(host: "127.0.0.1", port: 0)
        defer { close(tcp) }
        #expect(ListeningSocket.isUnixDomain(unix))
        #expect(!ListeningSocket.isUnixDomain(tcp))
        let file = try checked(open("/dev/null", O_RDONLY), "open")
        defer { close(file) }
        #expect(!ListeningSocket.isUnixDomain(file))
    }

    @Test func staleUnixSocketIsReplaced() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = "\(directory.path)/stale.sock"
        // A daemon that died leaves its socket file behind.
        close(try ListeningSocket.bindUnix(path: path, mode: 0o600))
        let fd = try ListeningSocket.bindUnix(path: path, mode: 0o600)
        defer { close(fd) }
        close(try RawHTTPClient.connectBlocking(.unix(path: path)))
    }

    @Test func liveUnixSocketIsNotStolen() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = "\(directory.path)/live.sock"
        let live = try ListeningSocket.bindUnix(path: path, mode: 0o600)
        defer { close(live) }
        #expect(throws: ListeningSocketError.socketInUse(path)) {
            try ListeningSocket.bindUnix(path: path, mode: 0o600)
        }
    }

    @Test func otherFilesAreNeverDeleted() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = "\(directory.path)/config.toml"
        close(try checked(open(path, O_CREAT | O_WRONLY, 0o600), "open"))
        #expect(throws: ListeningSocketError.notASocket(path)) {
            try ListeningSocket.bindUnix(path: path, mode: 0o600)
        }
        var status = stat()
        #expect(lstat(path, &status) == 0)
    }

    @Test func unixPathProblemsAreExplained() throws {
        let long = "/tmp/" + String(repeating: "x", count: 120)
        #expect(throws: ListeningSocketError.pathTooLong(long)) {
            try ListeningSocket.bindUnix(path: long, mode: 0o600)
        }
        let error = #expect(throws: SystemCallError.self) {
            try ListeningSocket.bindUnix(path: "/nonexistent-directory-for-test/api.sock", mode: 0o600)
        }
        #expect(error?.errno == ENOENT)
        #expect(error?.description.contains("parent directory") == true)
    }
}
