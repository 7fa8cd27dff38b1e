extension PlatformConfiguration {
    /// `[mail]`: how the platform sends e-mail (verification, password resets).
    public struct Mail: Sendable, Equatable {
        /// `sendmail`: the argv of a sendmail-compatible program that reads the message on stdin.
        public var sendmail = ["/usr/sbin/sendmail", "-t", "-i"]
        /// `from`: the `From:` header, `Name <address>` or a bare address.
        public var from = "PaaSTech <noreply@localhost>"
        /// `spool_dir`: when set, messages are written as `.eml` files here instead of being sent
        /// (development mode); empty means use `sendmail`.
        public var spoolDirectory = ""

        /// Creates the default mail settings.
        public init() {}
    }
}

extension PlatformConfiguration.Mail: ConfigurationSection {
    static let keys: [ConfigurationKey<Self>] = [
        ConfigurationKey("sendmail", \.sendmail, .strings(like: "[\"/usr/sbin/sendmail\", \"-t\", \"-i\"]", allowEmpty: false)
            .checking { argv in
                guard let program = argv.first, program.hasPrefix("/") else {
                    return "the first element must be the program's absolute path, like \"/usr/sbin/sendmail\""
                }
                return nil
            }),
        ConfigurationKey("from", \.from, .string(like: "PaaSTech <noreply@example.com>")
            .checking(ConfigurationSyntax.mailboxProblem)),
        ConfigurationKey("spool_dir", \.spoolDirectory, .optionalAbsolutePath),
    ]
}
