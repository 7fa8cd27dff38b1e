/// A message that cannot be rendered safely, or could not be handed over for delivery.
public struct MailError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The kind of problem, for callers that react differently (compare with `==`).
    public struct Kind: Equatable, Sendable {
        private let name: String

        /// An address is not of the form `local@domain`.
        public static let invalidAddress = Kind(name: "invalidAddress")
        /// A header value contains CR or LF (an attempt to inject headers) or other control characters.
        public static let headerInjection = Kind(name: "headerInjection")
        /// The body contains NUL bytes.
        public static let invalidBody = Kind(name: "invalidBody")
        /// The sendmail program could not be started, failed or timed out.
        public static let sendmailFailed = Kind(name: "sendmailFailed")
        /// A file operation (spool directory, temporary file) failed.
        public static let fileSystem = Kind(name: "fileSystem")
    }

    /// The kind of problem.
    public let kind: Kind
    /// What was attempted and what went wrong, with errno or exit status where there is one.
    public let description: String

    init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }
}
