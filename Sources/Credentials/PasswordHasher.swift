import Dispatch

/// Hashes and verifies passwords with scrypt.
///
/// Hash strings describe themselves (`$scrypt$ln=15,r=8,p=1$<salt>$<key>`), so the parameters
/// can be raised later without invalidating stored hashes. One hash costs about 100 ms of CPU
/// and 32 MiB of memory: from async code use the `async` overloads, which run the work on a
/// Dispatch thread instead of blocking Swift's cooperative pool.
public struct PasswordHasher: Sendable {
    /// The parameters new hashes are made with.
    public let parameters: ScryptParameters

    static let saltLength = 16
    static let keyLength = 32

    /// A well-formed hash with the default parameters that no password matches. Verify against it
    /// when a login names an unknown user, so the response takes as long as for a known one.
    public static let unusableHash =
        "$scrypt$ln=15,r=8,p=1$dW51c2FibGUtaGFzaC0wMQ$bm90IHRoZSBzY3J5cHQga2V5IG9mIGEgcGFzc3dvcmQ"

    /// Creates a hasher; tests may pass cheaper parameters.
    public init(parameters: ScryptParameters = .default) {
        self.parameters = parameters
    }

    /// Hashes `password` with a fresh random salt.
    ///
    /// Does not apply ``PasswordPolicy``; call ``PasswordPolicy/validate(_:)`` first for new passwords.
    /// - Throws: ``CryptographyError`` if the random generator or scrypt fails, or the hasher's
    ///   parameters are not ``ScryptParameters/isAcceptable``.
    public func hash(_ password: String) throws -> String {
        guard parameters.isAcceptable else {
            throw CryptographyError(
                operation: "scrypt with parameters \(parameters)",
                openSSLErrors: "parameters out of range (ln 1–20, r 1–32, p 1–16, at most 1 GiB)"
            )
        }
        let salt = try OpenSSL.randomBytes(count: Self.saltLength)
        let key = try Scrypt.deriveKey(
            password: Array(password.utf8), salt: salt, parameters: parameters, length: Self.keyLength
        )
        return ScryptHashString(parameters: parameters, salt: salt, key: key).encoded
    }

    /// Whether `password` matches `stored`. Malformed hash strings, and ones asking for absurd
    /// parameters, never match; the comparison takes the same time wherever the keys differ.
    public func verify(_ password: String, against stored: String) -> Bool {
        guard let stored = ScryptHashString(parsing: stored),
              let key = try? Scrypt.deriveKey(
                  password: Array(password.utf8), salt: stored.salt,
                  parameters: stored.parameters, length: stored.key.count
              )
        else { return false }
        return OpenSSL.constantTimeEquals(key, stored.key)
    }

    /// Whether `stored` should be replaced by a new hash (after a successful login): it is
    /// malformed or was made with different parameters or lengths than this hasher uses.
    public func needsRehash(_ stored: String) -> Bool {
        guard let stored = ScryptHashString(parsing: stored) else { return true }
        return stored.parameters != parameters || stored.salt.count != Self.saltLength
            || stored.key.count != Self.keyLength
    }

    /// ``hash(_:)`` on a Dispatch thread, off the cooperative pool.
    public func hash(_ password: String) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async {
                continuation.resume(with: Result { try self.hash(password) })
            }
        }
    }

    /// ``verify(_:against:)`` on a Dispatch thread, off the cooperative pool.
    public func verify(_ password: String, against stored: String) async -> Bool {
        await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async {
                continuation.resume(returning: self.verify(password, against: stored))
            }
        }
    }
}
