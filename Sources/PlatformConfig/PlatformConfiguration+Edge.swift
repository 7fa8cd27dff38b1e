extension PlatformConfiguration {
    /// `[edge]`: the reverse proxy on ports 80 and 443 (`paastech edge`).
    public struct Edge: Sendable, Equatable {
        /// Where certificates come from.
        public enum Certificates: String, Sendable, Equatable, CaseIterable {
            /// ACME (Let's Encrypt by default), obtained on the first TLS handshake for a routed name.
            case acme
            /// A local CA the edge generates (dev mode; like Caddy's `tls internal`).
            case local
            /// A self-signed certificate for every name (tests, private networks).
            case selfSigned = "self-signed"
        }

        /// `http_listen`: plain HTTP when not socket-activated (ACME challenges, redirects).
        public var httpListen = "0.0.0.0:80"
        /// `https_listen`: HTTPS (HTTP/2 and HTTP/1.1) when not socket-activated.
        public var httpsListen = "0.0.0.0:443"
        /// `redirect_http`: answer plain HTTP with a 308 to HTTPS (ACME challenges excepted); `false` proxies it.
        public var redirectHTTP = true
        /// `public_http_port`, `public_https_port`: where the internet reaches `http_listen` and `https_listen`
        /// (for redirects and the app URLs shown to users).
        public var publicHTTPPort = 80
        public var publicHTTPSPort = 443
        /// `certificates`: `acme`, `local` or `self-signed`.
        public var certificates = Certificates.acme
        /// `acme_directory`: the ACME server's directory URL (Let's Encrypt staging:
        /// `https://acme-staging-v02.api.letsencrypt.org/directory`).
        public var acmeDirectory = "https://acme-v02.api.letsencrypt.org/directory"
        /// `acme_email`: contact address given to the ACME server ("" for none).
        public var acmeEmail = ""
        /// `acme_ca_file`: PEM roots to trust for the ACME server's own TLS, besides the system's ("" for none).
        public var acmeCAFile = ""
        /// `hsts`: the `Strict-Transport-Security` value on HTTPS responses ("" for none).
        public var hsts = "max-age=31536000"
        /// `max_header_kib`: the largest request head (request line and headers); larger ones get 431.
        public var maxHeaderKiB = 32
        /// `max_body_mib`: the largest request body; larger ones get 413. A deployment can set its own.
        public var maxBodyMiB = 100
        /// `header_timeout_seconds`: time a client has to send a request head.
        public var headerTimeoutSeconds = 15
        /// `idle_timeout_seconds`: how long an idle keep-alive connection from a client stays open.
        public var idleTimeoutSeconds = 75
        /// `upstream_connect_timeout_seconds`: time to connect to an instance before trying another.
        public var upstreamConnectTimeoutSeconds = 5
        /// `upstream_timeout_seconds`: time an instance has to start its response (then 504).
        public var upstreamTimeoutSeconds = 60
        /// `shutdown_timeout_seconds`: when the edge stops, how long answers in progress (and WebSockets) may
        /// go on before their connections are closed.
        public var shutdownTimeoutSeconds = 10
        /// `console_upstream`: where `console.<domain>` is served from (the web console).
        public var consoleUpstream = "127.0.0.1:8082"
        /// `access_log`: one journald entry per request.
        public var accessLog = true

        /// Creates the default settings.
        public init() {}

        /// `https://web.shop.apps.example.com`, or `http://web.shop.apps.localhost:8080` when plain HTTP is
        /// served (dev mode): what the pipeline and the API show as an app's address.
        public func url(host: String) -> String {
            if redirectHTTP {
                return "https://\(host)" + (publicHTTPSPort == 443 ? "" : ":\(publicHTTPSPort)")
            }
            return "http://\(host)" + (publicHTTPPort == 80 ? "" : ":\(publicHTTPPort)")
        }
    }
}

extension PlatformConfiguration.Edge: ConfigurationSection {
    static let keys: [ConfigurationKey<Self>] = [
        ConfigurationKey("http_listen", \.httpListen, .listenAddress),
        ConfigurationKey("https_listen", \.httpsListen, .listenAddress),
        ConfigurationKey("redirect_http", \.redirectHTTP, .boolean),
        ConfigurationKey("public_http_port", \.publicHTTPPort, .integer(in: 1...65535)),
        ConfigurationKey("public_https_port", \.publicHTTPSPort, .integer(in: 1...65535)),
        ConfigurationKey("certificates", \.certificates, .oneOf),
        ConfigurationKey("acme_directory", \.acmeDirectory, .baseURL(like: "https://acme-v02.api.letsencrypt.org/directory")),
        ConfigurationKey("acme_email", \.acmeEmail, .string(like: "admin@example.com")),
        ConfigurationKey("acme_ca_file", \.acmeCAFile, .optionalAbsolutePath),
        ConfigurationKey("hsts", \.hsts, .string(like: "max-age=31536000")),
        ConfigurationKey("max_header_kib", \.maxHeaderKiB, .integer(in: 1...64)),
        ConfigurationKey("max_body_mib", \.maxBodyMiB, .integer(in: 1...102_400)),
        ConfigurationKey("header_timeout_seconds", \.headerTimeoutSeconds, .integer(in: 1...600)),
        ConfigurationKey("idle_timeout_seconds", \.idleTimeoutSeconds, .integer(in: 1...3600)),
        ConfigurationKey("upstream_connect_timeout_seconds", \.upstreamConnectTimeoutSeconds, .integer(in: 1...120)),
        ConfigurationKey("upstream_timeout_seconds", \.upstreamTimeoutSeconds, .integer(in: 1...3600)),
        // Below systemd's default TimeoutStopSec (90 s), after which it kills the edge.
        ConfigurationKey("shutdown_timeout_seconds", \.shutdownTimeoutSeconds, .integer(in: 0...60)),
        ConfigurationKey("console_upstream", \.consoleUpstream, .listenAddress),
        ConfigurationKey("access_log", \.accessLog, .boolean),
    ]
}
