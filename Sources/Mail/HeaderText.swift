import Foundation

/// Header values: injection checks, RFC 2047 encoding of non-ASCII text, and line folding.
enum HeaderText {
    /// CR or LF would end the header and start another one (header injection); other control
    /// characters have no place in a header either. Tab is allowed.
    static func rejectControlCharacters(_ value: String, field: String) throws(MailError) {
        if value.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\u{2028}" || $0 == "\u{2029}" || $0 == "\u{85}" }) {
            throw MailError(.headerInjection, "The \(field) contains a line break, which is not allowed in an e-mail header.")
        }
        if value.unicodeScalars.contains(where: { $0 != "\t" && $0.properties.generalCategory == .control }) {
            throw MailError(.headerInjection, "The \(field) contains control characters.")
        }
    }

    /// `text` as one or more header words: unchanged when it is plain printable ASCII, otherwise
    /// as `=?UTF-8?B?…?=` encoded words, each under 75 characters and never splitting a character.
    static func words(_ text: String) -> [String] {
        let needsEncoding = text.unicodeScalars.contains { !(0x20...0x7E).contains($0.value) && $0 != "\t" }
            || text.contains("=?")  // would be mistaken for an encoded word
        guard needsEncoding else {
            return text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        }
        // Base64 of n bytes takes 4·⌈n/3⌉ characters: 39 bytes → 52, plus 12 for "=?UTF-8?B?" and
        // "?=" is 64, so even "Subject: " and the first word stay within 78 characters.
        let maximumBytes = 39
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in text {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count > maximumBytes && !chunk.isEmpty {
                words.append(encodedWord(chunk))
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append(encodedWord(chunk)) }
        return words
    }

    private static func encodedWord(_ bytes: [UInt8]) -> String {
        "=?UTF-8?B?\(Data(bytes).base64EncodedString())?="
    }

    /// `Name: value`, folded before words so lines stay near 78 characters (RFC 5322 §2.2.3).
    static func header(_ name: String, words: [String], lineEnding: String) -> String {
        var lines: [String] = []
        var line = name + ":"
        for word in words {
            if line.utf8.count + 1 + word.utf8.count > 78 && line != name + ":" {
                lines.append(line)
                line = ""
            }
            line += " " + word
        }
        lines.append(line)
        return lines.joined(separator: lineEnding)
    }

    /// A display name as an atom sequence, a quoted string, or encoded words.
    static func displayNameWords(_ name: String) -> [String] {
        var name = name
        if name.count >= 2, name.hasPrefix("\""), name.hasSuffix("\"") {
            name = String(name.dropFirst().dropLast()).replacingOccurrences(of: "\\\"", with: "\"")
        }
        let isASCII = name.unicodeScalars.allSatisfy { (0x20...0x7E).contains($0.value) }
        guard isASCII, !name.contains("=?") else { return words(name) }
        let atext = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+/=?^_`{|}~- ".utf8)
        if name.utf8.allSatisfy(atext.contains) { return words(name) }
        let escaped = name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return ["\"\(escaped)\""]
    }
}
