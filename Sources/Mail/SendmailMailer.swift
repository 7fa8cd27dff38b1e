import Foundation
import Logging
import Systemd

/// Production mailer: runs a sendmail-compatible program (argv, never a shell) and writes the
/// message to its standard input, as `sendmail -t -i` expects.
///
/// Run with Systemd's `ProgramRun`: off the cooperative pool, no SIGPIPE when the program exits
/// without reading, and a background delivery process that inherits stderr cannot keep `send`
/// waiting (the run ends when the program does).
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
        let command = argv.joined(separator: " ")
        // Only what sendmail implementations look at: not the server's secrets or its systemd variables.
        let environment = ProcessInfo.processInfo.environment.filter { ["PATH", "HOME", "USER", "LOGNAME", "LANG", "TMPDIR"].contains($0.key) }
        let run = ProgramRun(program, Array(argv.dropFirst()), environment: environment, input: Array(text.utf8), timeout: timeout)
        let result: ProgramRun.Result
        do {
            result = try await run.run()
        } catch {
            throw MailError(
                .sendmailFailed,
                "Could not start \(program): \(error). Install a mail transfer agent (for example "
                    + "apt install postfix) or set [mail] spool_dir to write messages to files."
            )
        }
        guard result.exitCode == 0 else {
            let outcome = result.timedOut ? "did not finish within \(timeout) and was killed" : "\(result.termination)"
            throw MailError(.sendmailFailed, "\(command) \(outcome) while sending to \(message.to)\(Self.lastLines(of: result.stdout + result.stderr))")
        }
        logger.debug("e-mail handed to sendmail", metadata: ["to": "\(message.to)"])
    }

    /// ": <the program's last output lines>", or "" when it printed nothing.
    static func lastLines(of output: [UInt8]) -> String {
        let lines = String(decoding: output.suffix(outputLimit), as: UTF8.self).split(whereSeparator: \.isNewline).suffix(5)
        return lines.isEmpty ? "" : ": " + lines.joined(separator: " / ")
    }
}
