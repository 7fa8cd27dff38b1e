import Foundation

/// Base64 variants used by credential formats.
enum Base64 {
    /// Standard alphabet without `=` padding, as in PHC-style hash strings and SSH fingerprints.
    static func encodeUnpadded(_ bytes: [UInt8]) -> String {
        var text = Data(bytes).base64EncodedString()
        while text.hasSuffix("=") { text.removeLast() }
        return text
    }

    /// Decodes standard base64 without padding; `nil` for anything else.
    static func decodeUnpadded(_ text: some StringProtocol) -> [UInt8]? {
        guard text.utf8.count % 4 != 1, !text.contains("=") else { return nil }
        let padding = String(repeating: "=", count: (4 - text.utf8.count % 4) % 4)
        return decodePadded(String(text) + padding)
    }

    /// Decodes standard, padded base64 (as in OpenSSH public keys); `nil` for anything else.
    static func decodePadded(_ text: String) -> [UInt8]? {
        guard let data = Data(base64Encoded: text) else { return nil }
        let bytes = [UInt8](data)
        // Foundation accepts non-zero trailing bits; requiring a round trip makes each value
        // have exactly one encoding.
        return Data(bytes).base64EncodedString() == text ? bytes : nil
    }

    /// URL-safe alphabet (`-`, `_`) without padding, for tokens in URLs and headers.
    static func encodeURLSafe(_ bytes: [UInt8]) -> String {
        String(encodeUnpadded(bytes).map { character -> Character in
            switch character {
            case "+": "-"
            case "/": "_"
            default: character
            }
        })
    }
}
