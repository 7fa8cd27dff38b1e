extension PlatformConfiguration {
    /// `[api]`: the API service and its authentication rules.
    public struct API: Sendable, Equatable {
        /// `listen`: `host:port` for HTTP when not socket-activated; IPv6 as `[::1]:8081`.
        public var listen = "127.0.0.1:8081"
        /// `internal_allowed_users`: OS users whose `SO_PEERCRED` uid may use the internal socket.
        public var internalAllowedUsers = ["root", "paastech-git", "paastech-edge"]
        /// `trusted_proxies`: peer addresses whose `X-Forwarded-For` header is believed.
        public var trustedProxies = ["127.0.0.1", "::1"]
        /// `session_ttl_hours`: how long a console login lasts.
        public var sessionTTLHours = 720
        /// `nonce_ttl_minutes`: how long e-mail verification and password reset links stay valid.
        public var nonceTTLMinutes = 60
        /// `login_max_failures`: failed logins allowed per account and address within the window.
        public var loginMaxFailures = 5
        /// `login_window_seconds`: the window over which failed logins are counted.
        public var loginWindowSeconds = 900
        /// `signup_enabled`: whether anyone may create an account.
        public var signupEnabled = true

        /// Creates the default API settings.
        public init() {}
    }
}

extension PlatformConfiguration.API: ConfigurationSection {
    static let keys: [ConfigurationKey<Self>] = [
        ConfigurationKey("listen", \.listen, .listenAddress),
        ConfigurationKey("internal_allowed_users", \.internalAllowedUsers,
                         .strings(like: "[\"root\", \"paastech-git\"]", elementProblem: ConfigurationSyntax.userNameProblem)),
        ConfigurationKey("trusted_proxies", \.trustedProxies,
                         .strings(like: "[\"127.0.0.1\", \"::1\"]", elementProblem: ConfigurationSyntax.ipAddressProblem)),
        ConfigurationKey("session_ttl_hours", \.sessionTTLHours, .integer(in: 1...8784)),
        ConfigurationKey("nonce_ttl_minutes", \.nonceTTLMinutes, .integer(in: 1...10080)),
        ConfigurationKey("login_max_failures", \.loginMaxFailures, .integer(in: 1...1000)),
        ConfigurationKey("login_window_seconds", \.loginWindowSeconds, .integer(in: 1...86400)),
        ConfigurationKey("signup_enabled", \.signupEnabled, .boolean),
    ]
}
