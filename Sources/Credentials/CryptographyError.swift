/// An OpenSSL operation failed (for example the random generator could not be seeded).
public struct CryptographyError: Error, CustomStringConvertible, Sendable {
    /// What was attempted, e.g. `RAND_bytes(16)`.
    public let operation: String
    /// OpenSSL's error queue at the time, e.g. `error:1C800064:Provider routines::bad decrypt`.
    public let openSSLErrors: String

    public var description: String {
        let details = openSSLErrors.isEmpty ? "no details from OpenSSL" : openSSLErrors
        return "\(operation) failed: \(details)"
    }
}
