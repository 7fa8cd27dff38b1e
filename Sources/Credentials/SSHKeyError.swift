/// A public key the platform will not accept; the description is written for the user who
/// pasted it.
public struct SSHKeyError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The kind of problem, for callers that react differently (compare with `==`).
    public struct Kind: Equatable, Sendable {
        private let name: String

        /// Nothing was given.
        public static let empty = Kind(name: "empty")
        /// Longer than ``SSHPublicKey/maximumLength``.
        public static let tooLong = Kind(name: "tooLong")
        /// More than one line: one key per call.
        public static let multipleLines = Kind(name: "multipleLines")
        /// An `authorized_keys` options prefix such as `command="…"`.
        public static let optionsNotAllowed = Kind(name: "optionsNotAllowed")
        /// A key type the platform does not accept (DSA, security keys, certificates, …).
        public static let unsupportedType = Kind(name: "unsupportedType")
        /// Not of the form `<type> <base64> [comment]`, or the base64 is invalid.
        public static let malformed = Kind(name: "malformed")
        /// The key data is of a different type than the line declares.
        public static let typeMismatch = Kind(name: "typeMismatch")
        /// The key data is truncated, has trailing bytes or impossible values.
        public static let invalidKeyData = Kind(name: "invalidKeyData")
        /// An RSA key shorter than ``SSHPublicKey/minimumRSABits``.
        public static let rsaKeyTooSmall = Kind(name: "rsaKeyTooSmall")
    }

    /// The kind of problem.
    public let kind: Kind
    /// What is wrong and how to fix it.
    public let description: String

    init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }

    static let acceptedTypes =
        "Accepted key types are ssh-ed25519 (recommended), ecdsa-sha2-nistp256, ecdsa-sha2-nistp384, "
        + "ecdsa-sha2-nistp521 and ssh-rsa of \(SSHPublicKey.minimumRSABits) bits or more."

    static func invalidKeyData(_ detail: String) -> SSHKeyError {
        SSHKeyError(.invalidKeyData, "The key data is damaged (\(detail)). Copy the whole .pub file again.")
    }
}
