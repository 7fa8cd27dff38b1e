import Foundation
import Glibc
import Synchronization

/// Runs a real program (ssh, git, ssh-keygen) with an argv array, separate stdout and stderr, no stdin,
/// and a time limit after which it is killed.
struct CommandResult: Sendable, CustomStringConvertible {
    var status: Int32
    var stdout: String
    var stderr: String
    var timedOut: Bool

    /// stderr lines without OpenSSH's notice about /dev/null as known_hosts, which every connection prints.
    var messages: [String] { CommandResult.lines(of: stderr) }

    var description: String { "status \(status)\(timedOut ? " (timed out)" : "")\nstdout: \(stdout)\nstderr: \(stderr)" }

    static func lines(of text: String) -> [String] {
        // isNewline, not "\n": OpenSSH ends its own lines with "\r\n", which Swift treats as one Character.
        text.split(whereSeparator: \.isNewline).map { String($0).trimmingCharacters(in: .whitespaces) }
            .filter { !$0.hasPrefix("Warning: Permanently added") }
    }
}

/// A started program whose output can be read while it runs.
final class RunningCommand: Sendable {
    /// The program's pid.
    let processIdentifier: pid_t
    private let stdoutURL: URL
    private let stderrURL: URL
    private let status: Task<Int32, any Error>
    private let timedOut = TimeoutFlag()

    init(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String],
        directory: String? = nil,
        timeout: Duration = .seconds(60)
    ) throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("paastech-run-\(UUID().uuidString.prefix(8))")
        stdoutURL = base.appendingPathExtension("out")
        stderrURL = base.appendingPathExtension("err")
        _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        let stdoutHandle = try FileHandle(forWritingTo: stdoutURL)
        let stderrHandle = try FileHandle(forWritingTo: stderrURL)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = stdoutHandle
        process.standardError = stderrHandle

        let finished = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { process in
            try? stdoutHandle.close()
            try? stderrHandle.close()
            finished.continuation.yield(process.terminationStatus)
            finished.continuation.finish()
        }
        try process.run()
        let pid = process.processIdentifier
        processIdentifier = pid
        let timedOut = self.timedOut
        let killer = Task {
            try await Task.sleep(for: timeout)
            timedOut.set()
            kill(pid, SIGKILL)
        }
        status = Task {
            defer { killer.cancel() }
            for await status in finished.stream { return status }
            throw HarnessError("\(executable) ended without a status")
        }
    }

    /// What it wrote to stderr so far.
    var stderrSoFar: String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }

    /// Waits for it to end.
    func wait() async throws -> CommandResult {
        let status = try await status.value
        defer {
            try? FileManager.default.removeItem(at: stdoutURL)
            try? FileManager.default.removeItem(at: stderrURL)
        }
        return CommandResult(
            status: status,
            stdout: (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "",
            stderr: stderrSoFar,
            timedOut: timedOut.isSet)
    }
}

enum CommandRunner {
    static func run(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String],
        directory: String? = nil,
        timeout: Duration = .seconds(60)
    ) async throws -> CommandResult {
        try await RunningCommand(executable, arguments, environment: environment, directory: directory, timeout: timeout).wait()
    }
}

private final class TimeoutFlag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}
