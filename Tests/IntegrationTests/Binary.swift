import Foundation
import Systemd
import Testing

/// The `paastech` binary that `make test` builds before running the tests.
enum Binary {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func path() throws -> String {
        let path = packageRoot.appendingPathComponent(".build/debug/paastech").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw BinaryMissing(path: path)
        }
        return path
    }

    struct BinaryMissing: Error, CustomStringConvertible {
        let path: String
        var description: String { "\(path) is missing: run `swift build` (make test does) before the integration tests" }
    }
}

/// A child process with its stdout and stderr in a file, killed when the test ends. Spawned with
/// our own `ChildProcess` (posix_spawn, every other fd closed, reaped on its own thread): Foundation's
/// `Process` hangs waiting for children whose descendants inherit its bookkeeping descriptors.
final class RunningProcess: @unchecked Sendable {
    let child: ChildProcess
    let output: URL

    init(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws {
        output = FileManager.default.temporaryDirectory.appendingPathComponent("paastech-out-\(UUID().uuidString).log")
        let fd = open(output.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        defer { close(fd) }
        // Nothing systemd-related leaks in from the test runner's own environment; the caller may set it.
        var variables = ProcessInfo.processInfo.environment
        for name in SystemdEnvironment.variablesToStrip { variables[name] = nil }
        variables.merge(environment) { $1 }
        child = try ChildProcess.spawn(executable: executable, arguments: arguments, environment: variables,
                                       passingFDs: [], output: fd)
    }

    var log: String { (try? String(contentsOf: output, encoding: .utf8)) ?? "" }

    /// Ctrl-C.
    func interrupt() { try? child.signal(SIGINT) }

    /// Waits for exit up to `timeout`; kills on timeout and returns nil.
    func waitForExit(timeout: Duration) async -> Int32? {
        let termination = await withTaskGroup(of: ChildProcess.Termination?.self) { group in
            group.addTask { await self.child.waitForExit() }
            group.addTask { try? await Task.sleep(for: timeout); return nil }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        guard case .exited(let code) = termination else {
            try? child.signal(SIGKILL)
            return nil
        }
        return code
    }

    deinit { try? child.signal(SIGKILL) }
}

/// Runs a command to completion and returns (exit status, combined output).
func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) async throws -> (Int32, String) {
    let process = try RunningProcess(executable, arguments, environment: environment)
    let termination = await process.child.waitForExit()
    guard case .exited(let code) = termination else { return (-1, process.log) }
    return (code, process.log)
}

/// curl with fixed arguments; returns (HTTP status, body).
func curl(_ arguments: [String]) async throws -> (Int, String) {
    let (status, output) = try await run("/usr/bin/curl", ["-s", "-w", "\n%{http_code}", "--max-time", "10"] + arguments)
    guard status == 0, let newline = output.lastIndex(of: "\n") else { return (0, output) }
    return (Int(output[output.index(after: newline)...]) ?? 0, String(output[..<newline]))
}

/// Polls until `condition` holds or `timeout` passes.
func eventually(timeout: Duration = .seconds(60), _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if (try? await condition()) == true { return true }
        try await Task.sleep(for: .milliseconds(100))
    }
    return false
}

func json(_ text: String) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
}

/// A free loopback TCP port (bound and released; good enough for tests run one at a time).
func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
    _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    return Int(UInt16(bigEndian: address.sin_port))
}
