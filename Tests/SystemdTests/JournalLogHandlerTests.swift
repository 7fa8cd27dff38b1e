import Glibc
import Logging
import Testing

@testable import Systemd

@Suite("Journal logging")
struct JournalLogHandlerTests {
    @Test(arguments: [
        ("paastech.project", "PAASTECH_PROJECT"),
        ("PAASTECH_DEPLOYMENT", "PAASTECH_DEPLOYMENT"),
        ("request-id", "REQUEST_ID"),
        ("_uid", "X__UID"),
        ("1st", "X_1ST"),
        ("message", "X_MESSAGE"),
        ("priority", "X_PRIORITY"),
        ("", "X_"),
        ("héllo", "H_LLO"),
    ])
    func metadataKeysBecomeValidFieldNames(key: String, field: String) {
        #expect(JournalFieldName.sanitize(key) == field)
    }

    @Test func fieldNamesAreAtMost64Characters() {
        let name = JournalFieldName.sanitize(String(repeating: "k", count: 100))
        #expect(name == String(repeating: "K", count: 64))
    }

    @Test func journalIsUsedOnlyWhenStderrIsTheAnnouncedStream() {
        let stderr: (device: UInt64, inode: UInt64) = (device: 64769, inode: 123_456)
        #expect(LoggingSystemSetup.usesJournal(environment: ["JOURNAL_STREAM": "64769:123456"], stderrDeviceInode: stderr))
        #expect(!LoggingSystemSetup.usesJournal(environment: ["JOURNAL_STREAM": "64769:999"], stderrDeviceInode: stderr))
        #expect(!LoggingSystemSetup.usesJournal(environment: ["JOURNAL_STREAM": "1:123456"], stderrDeviceInode: stderr))
        #expect(!LoggingSystemSetup.usesJournal(environment: [:], stderrDeviceInode: stderr))
        #expect(!LoggingSystemSetup.usesJournal(environment: ["JOURNAL_STREAM": "garbage"], stderrDeviceInode: stderr))
        #expect(!LoggingSystemSetup.usesJournal(environment: ["JOURNAL_STREAM": "64769:123456"], stderrDeviceInode: nil))
    }

    @Test func journalStreamMatchesTheRealStderr() throws {
        let stderr = try #require(LoggingSystemSetup.standardErrorDeviceInode())
        let announced = "\(stderr.device):\(stderr.inode)"
        #expect(LoggingSystemSetup.usesJournal(environment: ["JOURNAL_STREAM": announced], stderrDeviceInode: stderr))
    }

    @Test func entriesCarryMessagePriorityLocationAndMetadata() {
        let event = LogEvent(
            level: .error, message: "deploy failed", metadata: nil, source: "API",
            file: "API/Deploy.swift", function: "deploy()", line: 42
        )
        let fields = JournalLogHandler.fields(
            for: event,
            metadata: ["paastech.project": "p-1", "message": "shadow"],
            label: "paastech.api",
            identifier: "paastech-api"
        )
        #expect(fields.contains("MESSAGE=deploy failed"))
        #expect(fields.contains("PRIORITY=3"))
        #expect(fields.contains("SYSLOG_IDENTIFIER=paastech-api"))
        #expect(fields.contains("LOGGER_LABEL=paastech.api"))
        #expect(fields.contains("CODE_FILE=API/Deploy.swift"))
        #expect(fields.contains("CODE_LINE=42"))
        #expect(fields.contains("CODE_FUNC=deploy()"))
        #expect(fields.contains("PAASTECH_PROJECT=p-1"))
        #expect(fields.contains("X_MESSAGE=shadow"))
        #expect(fields.filter { $0.hasPrefix("MESSAGE=") }.count == 1)
    }

    @Test func prioritiesFollowSyslog() {
        #expect(JournalLogHandler.priority(of: .trace) == 7)
        #expect(JournalLogHandler.priority(of: .debug) == 7)
        #expect(JournalLogHandler.priority(of: .info) == 6)
        #expect(JournalLogHandler.priority(of: .notice) == 5)
        #expect(JournalLogHandler.priority(of: .warning) == 4)
        #expect(JournalLogHandler.priority(of: .error) == 3)
        #expect(JournalLogHandler.priority(of: .critical) == 2)
    }

    @Test(.enabled(if: !JournalLogHandler.journalSocketExists, "journald is running on this host"))
    func withoutJournaldLinesGoToStderr() throws {
        // libsystemd reports success when journald's socket is missing: the handler must not trust that.
        #expect(JournalLogHandler.send(["MESSAGE=probe from systemd tests"]) == 0)

        let marker = "journal-fallback-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        var handler = JournalLogHandler(label: "test.journal", identifier: "systemd-tests", logLevel: .debug)
        handler[metadataKey: "paastech.project"] = "p-7"
        let logger = Logger(label: "test.journal") { _ in handler }

        // Swap fd 2 for a pipe just around the one call, so other tests' stderr is barely affected.
        let pipe = try makePipe()
        defer { close(pipe.read) }
        fflush(nil)
        let savedStderr = try checked(dup(STDERR_FILENO), "dup(2)")
        try checked(dup2(pipe.write, STDERR_FILENO), "dup2")
        logger.warning("\(marker)", metadata: ["attempt": "1"])
        try checked(dup2(savedStderr, STDERR_FILENO), "dup2 restore")
        close(savedStderr)
        close(pipe.write)

        let captured = String(decoding: try readAll(pipe.read), as: UTF8.self)
        let line = try #require(captured.split(separator: "\n").first { $0.contains(marker) })
        #expect(line.hasPrefix("systemd-tests warning [test.journal] \(marker)"))
        #expect(line.contains("paastech.project=p-7"))
        #expect(line.contains("attempt=1"))
    }
}
