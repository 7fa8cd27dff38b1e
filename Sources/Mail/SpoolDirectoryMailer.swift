import Foundation
import Logging

/// Development mailer: writes each message as a file `<timestamp>-<random>.eml` (mode 0600) in a
/// directory instead of sending it, so links in e-mails can be followed without a mail server.
///
/// Files appear atomically (written under a hidden name, then renamed), so a watcher never
/// sees half a message.
public struct SpoolDirectoryMailer: Mailer {
    /// Where messages are written; created (mode 0700) if it does not exist.
    public let directory: URL
    /// The `From:` mailbox.
    public let from: String
    private let logger: Logger

    /// Creates a mailer writing to `directory`.
    public init(directory: URL, from: String, logger: Logger = Logger(label: "paastech.mail")) {
        self.directory = directory
        self.from = from
        self.logger = logger
    }

    public func send(_ message: MailMessage) async throws {
        _ = try await FileSystem.offCooperativePool { try self.write(message) }
    }

    /// Writes `message` synchronously and returns the new file's path.
    @discardableResult
    public func write(_ message: MailMessage) throws -> String {
        let seconds = time(nil)
        let text = try message.rendered(
            from: from, date: Int(seconds), messageIDRandom: UInt64.random(in: .min ... .max), lineEnding: "\r\n"
        )

        try FileSystem.createDirectoryIfMissing(directory.path)
        let name = "\(Self.timestamp(seconds))-\(FileSystem.randomHex(bytes: 4)).eml"
        let path = directory.appendingPathComponent(name).path
        let temporaryPath = directory.appendingPathComponent("." + name + ".tmp").path

        let descriptor = try FileSystem.createExclusive(temporaryPath, flags: O_WRONLY)
        do {
            defer { close(descriptor) }
            try FileSystem.writeAll(descriptor, Array(text.utf8), path: temporaryPath)
            _ = try FileSystem.check("fsync \(temporaryPath)") { fsync(descriptor) }
            _ = try FileSystem.check("renaming \(temporaryPath) to \(path)") { rename(temporaryPath, path) }
        } catch {
            unlink(temporaryPath)
            throw error
        }
        logger.info("wrote e-mail to spool", metadata: ["path": "\(path)", "to": "\(message.to)"])
        return path
    }

    /// `20250701T120000Z`: sorts in time order.
    static func timestamp(_ seconds: time_t) -> String {
        var time = seconds
        var parts = tm()
        gmtime_r(&time, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return pad(parts.tm_year + 1900, 4) + pad(parts.tm_mon + 1, 2) + pad(parts.tm_mday, 2) + "T"
            + pad(parts.tm_hour, 2) + pad(parts.tm_min, 2) + pad(parts.tm_sec, 2) + "Z"
    }
}
