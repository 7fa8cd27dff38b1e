import COpenSSL

/// The scrypt key-derivation function, via OpenSSL 3's `EVP_PBE_scrypt`.
enum Scrypt {
    static func deriveKey(
        password: [UInt8],
        salt: [UInt8],
        parameters: ScryptParameters,
        length: Int
    ) throws -> [UInt8] {
        var key = [UInt8](repeating: 0, count: length)
        // OpenSSL refuses to use more than `maxmem` (32 MiB by default, exactly what N=2^15, r=8
        // needs without its own bookkeeping), so allow what these parameters need plus a margin.
        let maximumMemory = parameters.memoryBytes + (1 << 20)
        let result = password.withUnsafeBufferPointer { passwordBytes in
            passwordBytes.withMemoryRebound(to: CChar.self) { passwordCharacters in
                EVP_PBE_scrypt(
                    passwordCharacters.baseAddress, passwordCharacters.count,
                    salt, salt.count,
                    1 << UInt64(parameters.logN), UInt64(parameters.r), UInt64(parameters.p),
                    maximumMemory,
                    &key, length
                )
            }
        }
        guard result == 1 else {
            throw CryptographyError(
                operation: "EVP_PBE_scrypt(\(parameters), \(length)-byte key)",
                openSSLErrors: OpenSSL.drainErrorQueue()
            )
        }
        return key
    }
}
