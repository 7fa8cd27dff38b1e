/// Something that delivers e-mail: ``SendmailMailer`` in production, ``SpoolDirectoryMailer``
/// in development.
public protocol Mailer: Sendable {
    /// Validates, renders and hands over `message`.
    /// - Throws: ``MailError``.
    func send(_ message: MailMessage) async throws
}
