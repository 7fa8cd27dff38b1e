import CSystemd
import Glibc
import Logging

/// Writes log records to the systemd journal as structured entries with `sd_journal_sendv(3)`.
///
/// Each entry has `MESSAGE`, `PRIORITY` (syslog level), `SYSLOG_IDENTIFIER`, `CODE_FILE`, `CODE_LINE`,
/// `CODE_FUNC`, `LOGGER_LABEL`, `ERROR` when the record carries one, and every metadata key as a field named
/// by ``JournalFieldName/sanitize(_:)``, so `journalctl PAASTECH_PROJECT=...` finds an app's lines.
/// When journald cannot be reached the line goes to stderr instead, so nothing is lost: libsystemd
/// silently drops entries when journald's socket does not exist, so the handler checks for it when created.
/// ``LoggingSystemSetup/bootstrap(identifier:level:)`` picks this handler when stderr is the journal.
public struct JournalLogHandler: LogHandler {
    /// Metadata added to every record of this handler's logger.
    public var metadata: Logger.Metadata = [:]
    /// Contextual metadata (e.g. task-local request ids) added to every record.
    public var metadataProvider: Logger.MetadataProvider?
    /// The lowest level written.
    public var logLevel: Logger.Level

    private let label: String
    private let identifier: String
    private let journalIsReachable: Bool

    /// Where journald receives native entries (`sd_journal_sendv` writes here).
    static let journalSocketPath = "/run/systemd/journal/socket"

    /// Whether journald's socket exists. Without it sd_journal_sendv reports success and drops the entry.
    static var journalSocketExists: Bool {
        access(journalSocketPath, F_OK) == 0
    }

    /// - Parameters:
    ///   - label: The logger's label, recorded as `LOGGER_LABEL`.
    ///   - identifier: The `SYSLOG_IDENTIFIER` (`journalctl -t`), e.g. `paastech-api`.
    ///   - logLevel: The lowest level written.
    ///   - metadataProvider: Adds contextual metadata to every record.
    public init(
        label: String,
        identifier: String,
        logLevel: Logger.Level = .info,
        metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider
    ) {
        self.label = label
        self.identifier = identifier
        self.logLevel = logLevel
        self.metadataProvider = metadataProvider
        self.journalIsReachable = Self.journalSocketExists
    }

    /// One metadata value of this handler's logger.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Sends `event` to the journal, or writes it to stderr when journald is not reachable.
    public func log(event: LogEvent) {
        let metadata = mergedMetadata(event.metadata)
        let fields = Self.fields(
            for: event, metadata: metadata, label: label, identifier: identifier
        )
        if !journalIsReachable || Self.send(fields) < 0 {
            Self.writeToStandardError(Self.line(for: event, metadata: metadata, label: label, identifier: identifier))
        }
    }

    /// The journal entry for `event` as `NAME=value` fields.
    static func fields(
        for event: LogEvent,
        metadata: Logger.Metadata,
        label: String,
        identifier: String
    ) -> [String] {
        var fields = [
            "MESSAGE=\(event.message)",
            "PRIORITY=\(priority(of: event.level))",
            "SYSLOG_IDENTIFIER=\(identifier)",
            "LOGGER_LABEL=\(label)",
            "CODE_FILE=\(event.file)",
            "CODE_LINE=\(event.line)",
            "CODE_FUNC=\(event.function)",
        ]
        if let error = event.error { fields.append("ERROR=\(error)") }
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            fields.append("\(JournalFieldName.sanitize(key))=\(value)")
        }
        return fields
    }

    /// The syslog priority journald expects (`<syslog.h>` `LOG_DEBUG` ... `LOG_CRIT`).
    static func priority(of level: Logger.Level) -> Int32 {
        switch level {
        case .trace, .debug: return LOG_DEBUG
        case .info: return LOG_INFO
        case .notice: return LOG_NOTICE
        case .warning: return LOG_WARNING
        case .error: return LOG_ERR
        case .critical: return LOG_CRIT
        }
    }

    /// The stderr fallback: one line with the same information.
    static func line(for event: LogEvent, metadata: Logger.Metadata, label: String, identifier: String) -> String {
        var line = "\(identifier) \(event.level) [\(label)] \(event.message)"
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) { line += " \(key)=\(value)" }
        if let error = event.error { line += " error=\(error)" }
        return line + "\n"
    }

    /// Sends one entry. Returns libsystemd's result: negative errno when journald is unreachable.
    static func send(_ fields: [String]) -> Int32 {
        let encoded = fields.map { Array($0.utf8) }
        // One buffer for all fields: the iovecs must point at memory that outlives the call.
        let storage = UnsafeMutableRawBufferPointer.allocate(
            byteCount: max(1, encoded.reduce(0) { $0 + $1.count }), alignment: 1
        )
        defer { storage.deallocate() }
        var vectors: [iovec] = []
        vectors.reserveCapacity(encoded.count)
        var offset = 0
        for bytes in encoded {
            let field = UnsafeMutableRawBufferPointer(rebasing: storage[offset..<(offset + bytes.count)])
            field.copyBytes(from: bytes)
            vectors.append(iovec(iov_base: field.baseAddress, iov_len: bytes.count))
            offset += bytes.count
        }
        return vectors.withUnsafeBufferPointer { buffer in
            var result: Int32
            repeat {
                result = sd_journal_sendv(buffer.baseAddress, Int32(buffer.count))
            } while result == -EINTR
            return result
        }
    }

    /// Writes `text` to fd 2 with as few writes as possible, so concurrent lines do not interleave.
    static func writeToStandardError(_ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                return  // stderr is gone; there is nowhere left to report to
            }
            bytes = bytes.dropFirst(written)
        }
    }

    private func mergedMetadata(_ eventMetadata: Logger.Metadata?) -> Logger.Metadata {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let eventMetadata { merged.merge(eventMetadata) { _, new in new } }
        return merged
    }
}
