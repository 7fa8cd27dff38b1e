extension PlatformConfiguration {
    /// `[git]`: the SSH git server (`paastech gitd`).
    public struct Git: Sendable, Equatable {
        /// `listen`: `host:port` when not socket-activated.
        public var listen = "0.0.0.0:2222"
        /// `max_connections`: connections served at once; more are closed at once with a message.
        public var maxConnections = 64
        /// `max_auth_attempts`: public keys a client may offer per connection.
        public var maxAuthAttempts = 6
        /// `login_grace_seconds`: time to authenticate before the connection is closed.
        public var loginGraceSeconds = 30
        /// `max_session_seconds`: the longest a push may take.
        public var maxSessionSeconds = 3600
        /// `max_push_mib`: the most data one push may send.
        public var maxPushMiB = 1024
        /// `remote_host`: the host name in the `ssh://git@<host>:<port>/<user>/<project>.git` remotes shown to users.
        public var remoteHost = "paastech.localhost"
        /// `remote_port`: the port in those remotes (where the internet reaches `listen`).
        public var remotePort = 2222

        /// Creates the default settings.
        public init() {}
    }
}

extension PlatformConfiguration.Git: ConfigurationSection {
    static let keys: [ConfigurationKey<Self>] = [
        ConfigurationKey("listen", \.listen, .listenAddress),
        ConfigurationKey("max_connections", \.maxConnections, .integer(in: 1...10_000)),
        ConfigurationKey("max_auth_attempts", \.maxAuthAttempts, .integer(in: 1...100)),
        ConfigurationKey("login_grace_seconds", \.loginGraceSeconds, .integer(in: 1...600)),
        ConfigurationKey("max_session_seconds", \.maxSessionSeconds, .integer(in: 10...86400)),
        ConfigurationKey("max_push_mib", \.maxPushMiB, .integer(in: 1...1_048_576)),
        ConfigurationKey("remote_host", \.remoteHost, .domain(like: "git.example.com")),
        ConfigurationKey("remote_port", \.remotePort, .integer(in: 1...65535)),
    ]
}
