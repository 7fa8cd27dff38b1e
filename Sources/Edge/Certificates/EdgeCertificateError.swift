/// Why a certificate operation of the edge failed, with what was being done and how to fix it when known.
public struct EdgeCertificateError: Error, Sendable, CustomStringConvertible {
    /// The class of failure. A struct rather than an enum so that new kinds do not break callers.
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case invalidHostName = "not a valid host name"
            case unknownHost = "the host is not routed by the edge"
            case storage = "certificate storage failed"
            case unreadable = "a stored key or certificate is unreadable"
            case generation = "creating a key or certificate failed"
            case issuance = "issuing a certificate failed"
        }

        private let base: Base

        /// A name that is not a lower-case DNS name (and so is never used as a file name).
        public static let invalidHostName = Kind(base: .invalidHostName)
        /// A name the route table does not know: no certificate is issued for it.
        public static let unknownHost = Kind(base: .unknownHost)
        /// Creating a directory or writing a file failed.
        public static let storage = Kind(base: .storage)
        /// A file exists but does not hold what it should.
        public static let unreadable = Kind(base: .unreadable)
        /// Generating or signing failed in the crypto libraries.
        public static let generation = Kind(base: .generation)
        /// The certificate authority (ACME or local) did not deliver.
        public static let issuance = Kind(base: .issuance)

        public var description: String { base.rawValue }
    }

    /// What class of failure this is.
    public let kind: Kind
    /// What was being done, e.g. `write /var/lib/paastech/edge/certs/a.example.pem`.
    public let operation: String
    /// The underlying reason.
    public let reason: String
    /// How to fix it, when known.
    public let hint: String?

    init(_ kind: Kind, operation: String, reason: String, hint: String? = nil) {
        self.kind = kind
        self.operation = operation
        self.reason = reason
        self.hint = hint
    }

    public var description: String {
        var text = "\(operation): \(kind): \(reason)"
        if let hint { text += " (\(hint))" }
        return text
    }
}
