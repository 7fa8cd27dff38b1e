extension PlatformConfiguration {
    /// `[web]`: the web console (`paastech web`), served at `console.<domain>` through the edge.
    public struct Web: Sendable, Equatable {
        /// `listen`: `host:port` for HTTP when not socket-activated.
        public var listen = "127.0.0.1:8082"
        /// `api_url`: where the console calls the API, forwarding each user's session (no trailing slash).
        public var apiURL = "http://127.0.0.1:8081"

        /// Creates the default console settings.
        public init() {}
    }
}

extension PlatformConfiguration.Web: ConfigurationSection {
    static let keys: [ConfigurationKey<Self>] = [
        ConfigurationKey("listen", \.listen, .listenAddress),
        ConfigurationKey("api_url", \.apiURL, .baseURL(like: "http://127.0.0.1:8081")),
    ]
}
