import Glibc
import Logging

/// Chooses where a daemon's logs go, once, at start-up.
public enum LoggingSystemSetup {
    /// Bootstraps swift-log: the journal (``JournalLogHandler``) when stderr is connected to journald
    /// (`JOURNAL_STREAM` names the stderr device and inode), plain stderr lines otherwise (`paastech dev`,
    /// a terminal, a pipe). Call it once per process, before creating loggers.
    /// - Parameters:
    ///   - identifier: `SYSLOG_IDENTIFIER` of journal entries, e.g. `paastech-api`.
    ///   - level: The lowest level written.
    public static func bootstrap(identifier: String, level: Logger.Level) {
        var environment: [String: String] = [:]
        if let stream = getenv(journalStreamVariable) { environment[journalStreamVariable] = String(cString: stream) }
        let toJournal = usesJournal(environment: environment, stderrDeviceInode: standardErrorDeviceInode())
        LoggingSystem.bootstrap { label in
            if toJournal {
                return JournalLogHandler(label: label, identifier: identifier, logLevel: level)
            }
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }

    /// Whether stderr is the journal: `JOURNAL_STREAM` (`"<device>:<inode>"`, set by systemd) equals the
    /// device and inode of stderr. A mismatch means stderr was redirected, or the variable was inherited
    /// from a parent whose stderr was the journal; systemd.exec(5) asks to check exactly this.
    /// - Parameters:
    ///   - environment: Holds `JOURNAL_STREAM`, if set.
    ///   - stderrDeviceInode: `st_dev` and `st_ino` of fd 2, nil if it is closed.
    public static func usesJournal(
        environment: [String: String],
        stderrDeviceInode: (device: UInt64, inode: UInt64)?
    ) -> Bool {
        guard let value = environment[journalStreamVariable], let stderrDeviceInode else { return false }
        let parts = value.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        return device == stderrDeviceInode.device && inode == stderrDeviceInode.inode
    }

    static let journalStreamVariable = "JOURNAL_STREAM"

    /// `st_dev` and `st_ino` of fd 2, or nil when fd 2 is not open.
    static func standardErrorDeviceInode() -> (device: UInt64, inode: UInt64)? {
        var status = stat()
        let result = try? SystemCall.retryingInterrupts("fstat(2)") { fstat(STDERR_FILENO, &status) }
        guard result != nil else { return nil }
        return (UInt64(status.st_dev), UInt64(status.st_ino))
    }
}
