import COpenSSL

/// The few libcrypto calls this target needs, with errors turned into ``CryptographyError``.
enum OpenSSL {
    static func randomBytes(count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        guard RAND_bytes(&bytes, Int32(count)) == 1 else {
            throw CryptographyError(operation: "RAND_bytes(\(count))", openSSLErrors: drainErrorQueue())
        }
        return bytes
    }

    static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard EVP_Digest(bytes, bytes.count, &digest, &length, EVP_sha256(), nil) == 1 else {
            // safe: SHA-256 over a memory buffer can only fail if libcrypto cannot allocate a
            // digest context, which leaves the process unable to do anything useful.
            fatalError("EVP_Digest(SHA-256) failed: \(drainErrorQueue())")  // safe: see above
        }
        return Array(digest[..<Int(length)])
    }

    /// Equality in time that depends only on the length, not on where the bytes differ.
    static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        guard !a.isEmpty else { return true }
        return CRYPTO_memcmp(a, b, a.count) == 0
    }

    /// OpenSSL's queued error strings, oldest first; empties the queue.
    static func drainErrorQueue() -> String {
        var messages: [String] = []
        while case let code = ERR_get_error(), code != 0 {
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            messages.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return messages.joined(separator: "; ")
    }
}
