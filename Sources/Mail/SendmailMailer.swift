import Foundation
import Logging

/// Production mailer: runs a sendmail-compatible program (argv, never a shell) and writes the
/// message to its standard input, as `sendmail -t -i` expects.
///
/// The program's stdin and its combined stdout/stderr are unlinked temporary files rather than
/// pipes: nothing can block on a full pipe, no SIGPIPE can hit this process when the program
/// exits early, and a background delivery process that inherits stderr cannot keep `send`
/// waiting. `send` waits for the program's exit through a termination handler, off the
/// cooperative pool.
public struct SendmailMailer: Mailer {
    /// The program and its arguments, e.g. `["/usr/sbin/sendmail", "-t", "-i"]`.
    public let argv: [String]
    /// The `From:` mailbox.
    public let from: String
    /// How long the program may run before it is terminated and `send` fails.
    public let timeout: Duration
    private let logger: Logger

    /// Last bytes of the program's output kept for error messages.
    static let outputLimit = 4096

    /// Creates a mailer; nothing runs until ``send(_:)``.
    public init(
        argv: [String],
        from: String,
        timeout: Duration = .seconds(60),
        logger: Logger = Logger(label: "paastech.mail")
    ) {
        self.argv = argv
        self.from = from
        self.timeout = timeout
        self.logger = logger
    }

    public func send(_ message: MailMessage) async throws {
        guard let program = argv.first else {
            throw MailError(.sendmailFailed, "No sendmail program is configured: set [mail] sendmail, e.g. [\"/usr/sbin/sendmail\", \"-t\", \"-i\"].")
        }
        let text = try message.rendered(
            from: from, date: Int(time(nil)), messageIDRandom: UInt64.random(in: .min ... .max), lineEnding: "\n"
        )
        let input = try Self.anonymousFile(contents: Array(text.utf8))
        let output = try Self.anonymousFile(contents: [])
        let command = argv.joined(separator: " ")

        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = Array(argv.dropFirst())
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output

        let started = ContinuousClock.now
        // SIGKILL, not Process.terminate()'s SIGTERM: a child inherits an ignored SIGTERM from a
        // server that handles signals itself (swift-service-lifecycle does), and would never stop.
        let timer = DispatchWorkItem { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            process.terminationHandler = { _ in continuation.resume() }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: MailError(
                    .sendmailFailed,
                    "Could not start \(program): \(error). Install a mail transfer agent (for example "
                        + "apt install postfix) or set [mail] spool_dir to write messages to files."
                ))
                return
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + Self.dispatchInterval(timeout), execute: timer)
        }
        timer.cancel()

        guard process.terminationReason == .exit && process.terminationStatus == 0 else {
            let outcome = switch process.terminationReason {
            case .exit: "exited with status \(process.terminationStatus)"
            case .uncaughtSignal where ContinuousClock.now - started >= timeout:
                "did not finish within \(timeout) and was killed"
            default: "was killed by signal \(process.terminationStatus)"
            }
            throw MailError(.sendmailFailed, "\(command) \(outcome) while sending to \(message.to)\(try Self.lastLines(of: output))")
        }
        logger.debug("e-mail handed to sendmail", metadata: ["to": "\(message.to)"])
    }

    /// A file with `contents` that has no name (unlinked at once) and is positioned at offset 0.
    static func anonymousFile(contents: [UInt8]) throws(MailError) -> FileHandle {
        let directory = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        let path = "\(directory)/paastech-mail-\(FileSystem.randomHex(bytes: 8))"
        let descriptor = try FileSystem.createExclusive(path, flags: O_RDWR)
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        unlink(path)
        try FileSystem.writeAll(descriptor, contents, path: path)
        _ = try FileSystem.check("seeking in \(path)") { lseek(descriptor, 0, SEEK_SET) }
        return handle
    }

    /// ": <the program's last output lines>", or "" when it printed nothing.
    static func lastLines(of output: FileHandle) throws(MailError) -> String {
        let bytes = try FileSystem.readAll(output.fileDescriptor, limit: outputLimit, path: "sendmail output")
        let lines = String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline).suffix(5)
        return lines.isEmpty ? "" : ": " + lines.joined(separator: " / ")
    }

    static func dispatchInterval(_ duration: Duration) -> DispatchTimeInterval {
        let (seconds, attoseconds) = duration.components
        return .nanoseconds(Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000))
    }
}
