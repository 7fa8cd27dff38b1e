import Foundation
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

/// A child process with captured output, killed when the test ends.
final class RunningProcess: @unchecked Sendable {
    let process = Process()
    let output: URL

    init(_ executable: String, _ arguments: [String], environment: [String: String] = [:], directory: URL? = nil) throws {
        output = FileManager.default.temporaryDirectory.appendingPathComponent("paastech-out-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        if let directory { process.currentDirectoryURL = directory }
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
    }

    var log: String { (try? String(contentsOf: output, encoding: .utf8)) ?? "" }

    func interrupt() { if process.isRunning { process.interrupt() } }

    /// Waits for exit up to `timeout`; kills on timeout and returns nil.
    func waitForExit(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        if process.isRunning { process.terminate(); return nil }
        return process.terminationStatus
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
}

/// Runs a command to completion and returns (status, combined output).
func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> (Int32, String) {
    let process = Process()
    let pipe = Pipe()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// curl with fixed arguments; returns (HTTP status, body).
func curl(_ arguments: [String]) throws -> (Int, String) {
    let (status, output) = try run("/usr/bin/curl", ["-s", "-w", "\n%{http_code}", "--max-time", "10"] + arguments)
    guard status == 0, let newline = output.lastIndex(of: "\n") else { return (0, output) }
    return (Int(output[output.index(after: newline)...]) ?? 0, String(output[..<newline]))
}

/// Polls until `condition` holds or `timeout` passes.
func eventually(timeout: Duration = .seconds(60), _ condition: () throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if (try? condition()) == true { return true }
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
