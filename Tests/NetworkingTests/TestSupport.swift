import Foundation
import Glibc
import Systemd
import Testing

@testable import Networking

/// The result of a finished command.
struct CommandResult {
    let status: Int32
    let output: String
    var succeeded: Bool { status == 0 }
}

/// Runs test helpers (ip, nsenter, python3) from argv arrays; the code under test never does.
enum Command {
    /// Runs `argv` to completion and returns its exit status and stdout followed by stderr.
    @discardableResult
    static func run(_ argv: [String]) throws -> CommandResult {
        let result = try ProgramRun(argv[0], Array(argv.dropFirst()), environment: ProcessInfo.processInfo.environment).runBlocking()
        return CommandResult(status: result.exitCode ?? -1, output: result.stdoutText + result.stderrText)
    }

    /// Runs `argv` and returns its output, or fails the test with it.
    @discardableResult
    static func check(_ argv: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let result = try run(argv)
        try #require(result.succeeded, "\(argv.joined(separator: " ")) failed: \(result.output)", sourceLocation: sourceLocation)
        return result.output
    }

    /// Runs `argv` and parses its output as JSON (for `ip -j` and `nft -j`).
    static func json(_ argv: [String]) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(try check(argv).utf8))
    }

    /// Starts `argv` without waiting for it, its standard streams on /dev/null.
    static func start(_ argv: [String]) throws -> ChildProcess {
        let null = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { Glibc.close(null) }
        return try ChildProcess.spawn(executable: argv[0], arguments: Array(argv.dropFirst()),
                                      environment: ProcessInfo.processInfo.environment, passingFDs: [], output: null, input: null)
    }

    /// Kills and reaps a started program. SIGKILL: children inherit the test runner's ignored and blocked
    /// signals, which may include SIGTERM.
    static func stop(_ process: ChildProcess) {
        try? process.signal(SIGKILL)
        _ = process.waitForExitBlocking()
    }
}

/// A network namespace of our own: `unshare --net sleep` keeps it alive, and it disappears with that
/// process even if the test crashes.
final class TestNamespace {
    let process: ChildProcess
    /// An open descriptor of the namespace.
    let fd: Int32

    var pid: pid_t { process.pid }
    /// For `nsenter`.
    var path: String { "/proc/\(pid)/ns/net" }

    init() throws {
        process = try Command.start(["/usr/bin/unshare", "--net", "/bin/sleep", "120"])
        // unshare switches namespace after it starts: wait until its namespace is no longer ours.
        let ours = try Self.namespaceIdentity("/proc/self/ns/net")
        var identity = ours
        for _ in 0..<500 where identity == ours {
            usleep(2_000)
            identity = (try? Self.namespaceIdentity("/proc/\(process.pid)/ns/net")) ?? ours
        }
        try #require(identity != ours, "unshare --net did not create a namespace")
        fd = try NetworkNamespace.open(pid: process.pid)
    }

    /// Runs `argv` inside the namespace.
    func run(_ argv: [String]) throws -> CommandResult {
        try Command.run(["/usr/bin/nsenter", "--net=\(path)"] + argv)
    }

    private var isClosed = false

    /// Closes the descriptor and stops the holder, once: a test that closes its namespace early is torn down
    /// later too, and a second close(2) of the number would close whatever descriptor reused it meanwhile
    /// (an event loop's socket in another suite: that crashed whole test runs).
    func close() {
        guard !isClosed else { return }
        isClosed = true
        Glibc.close(fd)
        Command.stop(process)
    }

    private static func namespaceIdentity(_ path: String) throws -> String {
        try FileManager.default.destinationOfSymbolicLink(atPath: path)
    }
}

/// Small Python programs for traffic tests, run with the address and port as argv (never in the code).
enum Probe {
    static let python = "/usr/bin/python3"

    /// Exits 0 when `argv[1]` answers an ICMP echo within a second (raw socket: needs root).
    static let ping = """
        import os, socket, struct, sys, time
        target = sys.argv[1]
        def checksum(data):
            total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
            total = (total >> 16) + (total & 0xffff)
            total += total >> 16
            return ~total & 0xffff
        ident = os.getpid() & 0xffff
        payload = b"paastech"
        header = struct.pack("!BBHHH", 8, 0, 0, ident, 1)
        packet = struct.pack("!BBHHH", 8, 0, checksum(header + payload), ident, 1) + payload
        sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        try:
            sock.sendto(packet, (target, 0))
            deadline = time.time() + 1
            while time.time() < deadline:
                sock.settimeout(max(deadline - time.time(), 0.01))
                data, (source, _) = sock.recvfrom(2048)
                offset = (data[0] & 0x0f) * 4
                kind, _, _, received_ident, _ = struct.unpack("!BBHHH", data[offset:offset + 8])
                if kind == 0 and received_ident == ident and source == target:
                    sys.exit(0)
        except OSError:
            pass
        sys.exit(1)
        """

    /// Connects to `argv[1]:argv[2]` within a second and prints what the server sends; exits 1 on failure.
    static let connect = """
        import socket, sys
        try:
            with socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1) as connection:
                connection.settimeout(1)
                received = b""
                while True:
                    chunk = connection.recv(256)
                    if not chunk:
                        break
                    received += chunk
                print(received.decode())
        except OSError as error:
            print(error)
            sys.exit(1)
        """

    /// Listens on `argv[1]:argv[2]`, creates the file `argv[3]` once listening, and sends each client its
    /// own address as seen here (which shows masquerading).
    static let server = """
        import socket, sys
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((sys.argv[1], int(sys.argv[2])))
        listener.listen(16)
        open(sys.argv[3], "w").close()
        while True:
            connection, (peer, _) = listener.accept()
            connection.sendall(peer.encode())
            connection.close()
        """
}

/// Waits until `path` exists (a server's ready file), up to 30 seconds (a loaded 2-core machine has taken
/// over 5 s to start a Python server).
func waitForFile(_ path: String) throws {
    for _ in 0..<3000 {
        if FileManager.default.fileExists(atPath: path) { return }
        usleep(10_000)
    }
    Issue.record("\(path) did not appear within 30 s")
    throw CancellationError()
}

/// A fresh directory under /tmp, removed with its contents by `remove()`.
struct TemporaryDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "networking-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
