#if canImport(Glibc)
import Glibc
#endif

extension MailMessage {
    /// The message as RFC 5322 text with MIME headers for UTF-8 plain text.
    ///
    /// - Parameters:
    ///   - from: the `From:` mailbox, `Name <address>` or a bare address.
    ///   - date: the `Date:` header's time, in seconds since the epoch.
    ///   - lineEnding: `"\r\n"` for files and the wire, `"\n"` for local sendmail submission.
    /// - Throws: ``MailError`` when an address is malformed or a header would contain a line break.
    func rendered(from: String, date: Int, messageIDRandom: UInt64, lineEnding: String) throws(MailError) -> String {
        let sender = try MailAddress.parseMailbox(from, field: "sender address")
        try MailAddress.validate(to, field: "recipient address")
        try HeaderText.rejectControlCharacters(subject, field: "subject")
        if body.utf8.contains(0) {
            throw MailError(.invalidBody, "The message body contains NUL bytes.")
        }

        let senderDomain = sender.address.split(separator: "@").last.map(String.init) ?? "localhost"
        let fromWords = (sender.displayName.map(HeaderText.displayNameWords) ?? []) + [
            sender.displayName == nil ? sender.address : "<\(sender.address)>",
        ]
        let (transferEncoding, bodyLines) = Self.encodeBody(body)

        let headers = [
            HeaderText.header("From", words: fromWords, lineEnding: lineEnding),
            "To: \(to)",
            HeaderText.header("Subject", words: HeaderText.words(subject), lineEnding: lineEnding),
            "Date: \(Self.rfc5322Date(date))",
            "Message-ID: <\(date).\(String(messageIDRandom, radix: 16))@\(senderDomain)>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: \(transferEncoding)",
        ]
        return (headers + [""] + bodyLines).joined(separator: lineEnding) + lineEnding
    }

    /// 8bit when every line fits the 998-byte limit of RFC 5322, quoted-printable otherwise.
    static func encodeBody(_ body: String) -> (encoding: String, lines: [String]) {
        let normalised = body.replacingCRLF()
        var lines = normalised.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" && lines.count > 1 { lines.removeLast() }
        if lines.allSatisfy({ $0.utf8.count <= 998 }) {
            return ("8bit", lines)
        }
        return ("quoted-printable", lines.flatMap(QuotedPrintable.encode))
    }

    /// `Tue, 01 Jul 2025 12:00:00 +0000`, independent of the process's locale.
    static func rfc5322Date(_ seconds: Int) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func twoDigits(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(days[Int(parts.tm_wday)]), \(twoDigits(parts.tm_mday)) \(months[Int(parts.tm_mon)]) "
            + "\(parts.tm_year + 1900) \(twoDigits(parts.tm_hour)):\(twoDigits(parts.tm_min)):\(twoDigits(parts.tm_sec)) +0000"
    }
}

extension String {
    /// CRLF and lone CR become LF.
    func replacingCRLF() -> String {
        var result = ""
        result.reserveCapacity(utf8.count)
        var previousWasCR = false
        for scalar in unicodeScalars {
            switch scalar {
            case "\r":
                result.unicodeScalars.append("\n")
                previousWasCR = true
                continue
            case "\n" where previousWasCR:
                break
            default:
                result.unicodeScalars.append(scalar)
            }
            previousWasCR = false
        }
        return result
    }
}

/// Quoted-printable (RFC 2045 §6.7) for bodies with over-long lines.
enum QuotedPrintable {
    /// One input line as one or more output lines joined by soft line breaks (`=`), each ≤ 76 bytes.
    static func encode(_ line: String) -> [String] {
        let bytes = Array(line.utf8)
        var output: [String] = []
        var current = ""
        for (index, byte) in bytes.enumerated() {
            let isLast = index == bytes.count - 1
            let literal = (33...126).contains(byte) && byte != UInt8(ascii: "=")
                || ((byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")) && !isLast)
            let token = literal ? String(UnicodeScalar(byte)) : "=" + hex(byte)
            if current.utf8.count + token.utf8.count > 75 {
                output.append(current + "=")
                current = ""
            }
            current += token
        }
        output.append(current)
        return output
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
    }
}
