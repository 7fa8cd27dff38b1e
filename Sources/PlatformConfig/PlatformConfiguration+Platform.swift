extension PlatformConfiguration {
    /// `[platform]`: the names users see.
    public struct Platform: Sendable, Equatable {
        /// `domain`: the platform's own names are `console.<domain>` and `api.<domain>`.
        public var domain = "paastech.localhost"
        /// `apps_domain`: apps are served at `<deployment>.<project>.<apps_domain>` (and `<project>.<apps_domain>`).
        public var appsDomain = "apps.localhost"
        /// `console_url`: the console's base URL, used for links in e-mails (no trailing slash).
        public var consoleURL = "http://console.localhost:8080"
        /// `secure_cookies`: mark cookies `Secure`; set when the API is served over HTTPS.
        public var secureCookies = false
        /// `releases_kept`: builds kept per deployment for rollbacks (besides the serving one and the one before it).
        public var releasesKept = 5

        /// Creates the default platform settings.
        public init() {}
    }
}

extension PlatformConfiguration.Platform: ConfigurationSection {
    static let keys: [ConfigurationKey<Self>] = [
        ConfigurationKey("domain", \.domain, .domain(like: "paastech.example.com")),
        ConfigurationKey("apps_domain", \.appsDomain, .domain(like: "apps.example.com")),
        ConfigurationKey("console_url", \.consoleURL, .baseURL(like: "https://console.paastech.example.com")),
        ConfigurationKey("secure_cookies", \.secureCookies, .boolean),
        ConfigurationKey("releases_kept", \.releasesKept, .integer(in: 1...1000)),
    ]
}
