/// Random bearer secrets: session cookies, personal API tokens and e-mail nonces.
///
/// A token is a kind prefix plus 32 random bytes in URL-safe base64, e.g. `pts_3q2…`. Only
/// ``hash(_:)`` of a token is stored: tokens carry 256 bits of entropy, so a fast hash suffices
/// and a stolen database holds nothing usable.
public enum SecretToken {
    /// The prefixes in use; the prefix makes leaked tokens easy to recognise and scan for.
    public enum Prefix {
        /// A console session cookie.
        public static let session = "pts_"
        /// A personal API token.
        public static let apiToken = "ptk_"
        /// A one-time nonce (e-mail verification, password reset).
        public static let nonce = "ptn_"
    }

    static let randomByteCount = 32

    /// A new random token: `prefix` (usually one of ``Prefix``) followed by 43 URL-safe characters.
    public static func generate(prefix: String) -> String {
        let bytes: [UInt8]
        do {
            bytes = try OpenSSL.randomBytes(count: randomByteCount)
        } catch {
            // safe: OpenSSL 3 seeds from getrandom(2); if it cannot produce random bytes the
            // process cannot issue secure credentials at all, and stopping beats weak tokens
            // (Swift's SystemRandomNumberGenerator makes the same choice).
            fatalError("\(error)")  // safe: see above
        }
        return prefix + Base64.encodeURLSafe(bytes)
    }

    /// The SHA-256 of the token's UTF-8 bytes in lower-case hex: what the database stores.
    public static func hash(_ token: String) -> String {
        OpenSSL.sha256(Array(token.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// Compares two secrets (tokens or their hashes) in constant time.
    public static func equals(_ a: String, _ b: String) -> Bool {
        // Comparing digests keeps the time independent of both the contents and the lengths.
        OpenSSL.constantTimeEquals(OpenSSL.sha256(Array(a.utf8)), OpenSSL.sha256(Array(b.utf8)))
    }
}
