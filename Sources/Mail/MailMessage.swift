/// A plain-text e-mail to one recipient.
///
/// Values are checked when the message is sent: `to` must be a bare address (`user@example.com`),
/// and neither `to` nor `subject` may contain line breaks, which would let a user inject headers.
public struct MailMessage: Sendable, Equatable {
    /// The recipient's address, e.g. `alice@example.com`.
    public var to: String
    /// The subject; any Unicode text on one line.
    public var subject: String
    /// The body in UTF-8; line breaks are normalised when the message is rendered.
    public var body: String

    /// Creates a message.
    public init(to: String, subject: String, body: String) {
        self.to = to
        self.subject = subject
        self.body = body
    }

    /// Throws ``MailError`` (kind `.invalidAddress` or `.headerInjection`) unless `address` is a
    /// bare `local@domain` address this module will send to. Use it to check addresses users enter.
    public static func validateAddress(_ address: String) throws {
        try MailAddress.validate(address, field: "address")
    }
}
