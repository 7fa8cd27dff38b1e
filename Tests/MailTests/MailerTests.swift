import Foundation
import Testing

@testable import Mail

@Suite struct MailerTests {
    let message = MailMessage(to: "alice@example.com", subject: "Réinitialiser le mot de passe", body: "Follow http://x/reset?t=1\n")

    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mailtest-\(UUID())")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func spoolWritesOneParseablePrivateFile() async throws {
        let root = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let spool = root.appendingPathComponent("spool")  // created on first use
        let mailer = SpoolDirectoryMailer(directory: spool, from: "PaaSTech <noreply@localhost>")
        try await mailer.send(message)
        try await mailer.send(message)

        let names = try FileManager.default.contentsOfDirectory(atPath: spool.path).sorted()
        #expect(names.count == 2)
        let pattern = try Regex(#"^\d{8}T\d{6}Z-[0-9a-f]{8}\.eml$"#)
        for name in names {
            #expect(name.wholeMatch(of: pattern) != nil, "\(name)")
            let path = spool.appendingPathComponent(name).path
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)

            let text = try String(contentsOfFile: path, encoding: .utf8)
            let parts = text.components(separatedBy: "\r\n\r\n")
            #expect(parts.count == 2)
            let headerNames = parts[0].replacingOccurrences(of: "\r\n ", with: " ")
                .components(separatedBy: "\r\n").map { String($0.prefix { $0 != ":" }) }
            #expect(headerNames == ["From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type",
                                    "Content-Transfer-Encoding"])
            #expect(parts[0].contains("To: alice@example.com"))
            #expect(parts[0].contains("Subject: =?UTF-8?B?"))
            #expect(parts[1] == "Follow http://x/reset?t=1\r\n")
        }
        let spoolMode = try FileManager.default.attributesOfItem(atPath: spool.path)[.posixPermissions] as? NSNumber
        #expect(spoolMode?.intValue == 0o700)
    }

    @Test func spoolRejectsInjectionWithoutWritingAnything() async throws {
        let spool = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: spool) }
        let mailer = SpoolDirectoryMailer(directory: spool, from: "noreply@localhost")
        await #expect(throws: MailError.self) {
            try await mailer.send(MailMessage(to: "a@b.c", subject: "Hi\r\nBcc: x@y.z", body: "b"))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: spool.path).isEmpty)
    }

    @Test func spoolReportsAnUnusableDirectory() async throws {
        let root = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let file = root.appendingPathComponent("not-a-directory")
        try Data("x".utf8).write(to: file)
        let mailer = SpoolDirectoryMailer(directory: file.appendingPathComponent("spool"), from: "noreply@localhost")
        let error = await #expect(throws: MailError.self) { try await mailer.send(message) }
        #expect(error?.kind == .fileSystem)
        #expect(error?.description.contains("errno \(ENOTDIR)") == true)
    }

    @Test func sendmailReceivesTheMessageOnStdin() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let capture = directory.appendingPathComponent("captured.eml").path
        // A fixed test script, not user input: the captured path arrives as $0.
        let mailer = SendmailMailer(argv: ["/bin/sh", "-c", "cat > \"$0\"", capture], from: "PaaSTech <noreply@localhost>")
        try await mailer.send(message)

        let text = try String(contentsOfFile: capture, encoding: .utf8)
        #expect(text.hasPrefix("From: PaaSTech <noreply@localhost>\nTo: alice@example.com\nSubject: =?UTF-8?B?"))
        #expect(text.hasSuffix("\n\nFollow http://x/reset?t=1\n"))
        #expect(!text.contains("\r"))
    }

    @Test func failingSendmailIsAnError() async {
        let mailer = SendmailMailer(argv: ["/bin/false"], from: "noreply@localhost")
        let error = await #expect(throws: MailError.self) { try await mailer.send(message) }
        #expect(error?.kind == .sendmailFailed)
        #expect(error?.description.contains("exited with status 1") == true)
    }

    @Test func sendmailErrorsIncludeTheProgramsLastOutputLines() async {
        let script = "cat >/dev/null; echo first >&2; echo 'sendmail: fatal: no route' >&2; exit 75"
        let mailer = SendmailMailer(argv: ["/bin/sh", "-c", script], from: "noreply@localhost")
        let error = await #expect(throws: MailError.self) { try await mailer.send(message) }
        #expect(error?.description.contains("exited with status 75") == true)
        #expect(error?.description.contains("sendmail: fatal: no route") == true)
    }

    @Test func aProgramThatExitsWithoutReadingDoesNotHurtTheCaller() async throws {
        let big = MailMessage(to: "a@b.c", subject: "big", body: String(repeating: "0123456789\n", count: 200_000))
        let mailer = SendmailMailer(argv: ["/bin/true"], from: "noreply@localhost")
        try await mailer.send(big)
    }

    @Test func missingProgramIsAnError() async {
        let mailer = SendmailMailer(argv: ["/nonexistent/sendmail", "-t"], from: "noreply@localhost")
        let error = await #expect(throws: MailError.self) { try await mailer.send(message) }
        #expect(error?.kind == .sendmailFailed)
        #expect(error?.description.contains("spool_dir") == true)
    }

    @Test func aHangingProgramIsTerminatedAfterTheTimeout() async {
        let mailer = SendmailMailer(argv: ["/bin/sleep", "30"], from: "noreply@localhost", timeout: .milliseconds(300))
        let started = ContinuousClock.now
        let error = await #expect(throws: MailError.self) { try await mailer.send(message) }
        #expect(ContinuousClock.now - started < .seconds(10))
        #expect(error?.description.contains("did not finish") == true)
    }
}
