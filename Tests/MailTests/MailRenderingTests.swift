import Foundation
import Testing

@testable import Mail

@Suite struct MailRenderingTests {
    let from = "PaaSTech <noreply@paastech.example>"

    func render(_ message: MailMessage, from: String? = nil, lineEnding: String = "\r\n") throws -> String {
        try message.rendered(from: from ?? self.from, date: 1_751_371_200, messageIDRandom: 0xABC, lineEnding: lineEnding)
    }

    /// Header name → unfolded value.
    func headers(_ text: String) -> [String: String] {
        let head = text.components(separatedBy: "\r\n\r\n")[0].replacingOccurrences(of: "\r\n ", with: " ")
        var headers: [String: String] = [:]
        for line in head.components(separatedBy: "\r\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            headers[String(parts[0])] = parts[1].trimmingCharacters(in: .whitespaces)
        }
        return headers
    }

    @Test func rendersRFC5322Headers() throws {
        let text = try render(MailMessage(to: "alice@example.com", subject: "Verify your address", body: "Hello\nWorld"))
        let headers = headers(text)
        #expect(headers["From"] == "PaaSTech <noreply@paastech.example>")
        #expect(headers["To"] == "alice@example.com")
        #expect(headers["Subject"] == "Verify your address")
        #expect(headers["Date"] == "Tue, 01 Jul 2025 12:00:00 +0000")
        #expect(headers["Message-ID"] == "<1751371200.abc@paastech.example>")
        #expect(headers["MIME-Version"] == "1.0")
        #expect(headers["Content-Type"] == "text/plain; charset=utf-8")
        #expect(headers["Content-Transfer-Encoding"] == "8bit")
        #expect(text.hasSuffix("\r\n\r\nHello\r\nWorld\r\n"))
        #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
    }

    @Test func encodesNonASCIISubjectsAsRFC2047Words() throws {
        let subject = "Bienvenue sur PaaSTech, Zoë — ça marche ✓ " + String(repeating: "é", count: 40)
        let text = try render(MailMessage(to: "zoe@example.com", subject: subject, body: "x"))
        let value = try #require(headers(text)["Subject"])
        let words = value.split(separator: " ")
        #expect(words.count > 1)
        var decoded: [UInt8] = []
        for word in words {
            #expect(word.hasPrefix("=?UTF-8?B?") && word.hasSuffix("?="))
            #expect(word.count <= 75)
            let base64 = word.dropFirst("=?UTF-8?B?".count).dropLast(2)
            let bytes = try #require(Data(base64Encoded: String(base64)))
            #expect(String(data: bytes, encoding: .utf8) != nil, "an encoded word splits a character")
            decoded += bytes
        }
        #expect(String(decoding: decoded, as: UTF8.self) == subject)
        for line in text.components(separatedBy: "\r\n") { #expect(line.utf8.count <= 78) }
    }

    @Test func encodesDisplayNames() throws {
        let encoded = headers(try render(MailMessage(to: "a@b.c", subject: "s", body: "b"), from: "Plateforme Zoë <z@b.c>"))
        #expect(encoded["From"]?.hasPrefix("=?UTF-8?B?") == true)
        #expect(encoded["From"]?.hasSuffix(" <z@b.c>") == true)
        let quoted = headers(try render(MailMessage(to: "a@b.c", subject: "s", body: "b"), from: "Ops, Inc. <z@b.c>"))
        #expect(quoted["From"] == "\"Ops, Inc.\" <z@b.c>")
        let bare = headers(try render(MailMessage(to: "a@b.c", subject: "s", body: "b"), from: "z@b.c"))
        #expect(bare["From"] == "z@b.c")
    }

    @Test(arguments: [
        ("victim@example.com\r\nBcc: everyone@example.com", "to"),
        ("victim@example.com\nBcc: everyone@example.com", "to"),
        ("Hello\r\nBcc: everyone@example.com", "subject"),
        ("Hello\nX-Injected: yes", "subject"),
        ("Hello\rX-Injected: yes", "subject"),
        ("Hello\u{2028}there", "subject"),
        ("Hello\u{0}there", "subject"),
    ])
    func headerInjectionIsRejected(value: String, field: String) {
        let message = field == "to"
            ? MailMessage(to: value, subject: "s", body: "b")
            : MailMessage(to: "alice@example.com", subject: value, body: "b")
        let error = #expect(throws: MailError.self) { try render(message) }
        #expect(error?.kind == .headerInjection)
    }

    @Test func injectionThroughTheSenderIsRejected() {
        let error = #expect(throws: MailError.self) {
            try render(MailMessage(to: "a@b.c", subject: "s", body: "b"), from: "Evil <x@y.z>\r\nBcc: all@y.z")
        }
        #expect(error?.kind == .headerInjection)
    }

    @Test(arguments: [
        "", "alice", "@example.com", "alice@", "alice@@example.com", "a b@example.com", "alice@exa mple.com",
        "Alice <alice@example.com>", "alice@example..com", ".alice@example.com", "alice@-example.com",
        "alice@example.com,bob@example.com", "\"alice\"@example.com",
    ])
    func malformedRecipientsAreRejected(address: String) {
        let error = #expect(throws: MailError.self) { try render(MailMessage(to: address, subject: "s", body: "b")) }
        #expect(error?.kind == .invalidAddress)
        #expect(throws: MailError.self) { try MailMessage.validateAddress(address) }
    }

    @Test(arguments: ["alice@example.com", "a.b+tag@sub.example.co.uk", "root@localhost", "o'neil@example.ie"])
    func ordinaryAddressesAreAccepted(address: String) throws {
        try MailMessage.validateAddress(address)
        _ = try render(MailMessage(to: address, subject: "s", body: "b"))
    }

    @Test func bodyLineEndingsAreNormalised() throws {
        let text = try render(MailMessage(to: "a@b.c", subject: "s", body: "one\r\ntwo\rthree\nfour\n"), lineEnding: "\n")
        #expect(text.hasSuffix("\n\none\ntwo\nthree\nfour\n"))
        #expect(!text.contains("\r"))
    }

    @Test func overlongLinesSwitchToQuotedPrintable() throws {
        let long = String(repeating: "word é ", count: 300)  // over 998 bytes on one line
        let text = try render(MailMessage(to: "a@b.c", subject: "s", body: "short\n" + long))
        #expect(headers(text)["Content-Transfer-Encoding"] == "quoted-printable")
        let body = text.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
        for line in body.components(separatedBy: "\r\n") { #expect(line.utf8.count <= 76) }
        // Undo soft breaks and =XX escapes: the original text comes back.
        let joined = body.replacingOccurrences(of: "=\r\n", with: "")
        var bytes: [UInt8] = []
        var index = joined.utf8.startIndex
        let utf8 = joined.utf8
        while index < utf8.endIndex {
            if utf8[index] == UInt8(ascii: "=") {
                let hex = String(decoding: utf8[utf8.index(after: index)..<utf8.index(index, offsetBy: 3)], as: UTF8.self)
                bytes.append(UInt8(hex, radix: 16)!)
                index = utf8.index(index, offsetBy: 3)
            } else {
                bytes.append(utf8[index])
                index = utf8.index(after: index)
            }
        }
        #expect(String(decoding: bytes, as: UTF8.self) == "short\r\n" + long + "\r\n")
    }

    @Test func nulInBodyIsRejected() {
        let error = #expect(throws: MailError.self) { try render(MailMessage(to: "a@b.c", subject: "s", body: "a\u{0}b")) }
        #expect(error?.kind == .invalidBody)
    }
}
