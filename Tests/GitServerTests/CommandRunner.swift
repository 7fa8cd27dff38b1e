import Foundation
import Glibc
import Synchronization
import Systemd

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
        // Files, not pipes: the output can be read while the program runs, and nothing blocks on a full pipe.
        // ChildProcess, not Foundation's Process: see Systemd's ProgramRun for why Process hangs with ssh.
        let stdoutFD = open(stdoutURL.path, O_WRONLY | O_CLOEXEC)
        let stderrFD = open(stderrURL.path, O_WRONLY | O_CLOEXEC)
        let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { [stdoutFD, stderrFD, null].filter { $0 >= 0 }.forEach { close($0) } }
        guard stdoutFD >= 0, stderrFD >= 0, null >= 0 else { throw HarnessError("cannot open the output files of \(executable)") }
        let child = try ChildProcess.spawn(executable: executable, arguments: arguments, environment: environment, passingFDs: [],
                                           output: stdoutFD, errorOutput: stderrFD, input: null, directory: directory)
        processIdentifier = child.pid
        let timedOut = self.timedOut
        let killer = Task {
            try await Task.sleep(for: timeout)
            timedOut.set()
            try? child.signal(SIGKILL)
        }
        status = Task {
            defer { killer.cancel() }
            switch await child.waitForExit() {
            case .exited(let code): return code
            case .signaled(let signal): return 128 + signal
            case .statusUnavailable(let error): throw error
            }
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
