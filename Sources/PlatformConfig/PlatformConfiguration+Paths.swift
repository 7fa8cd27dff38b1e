extension PlatformConfiguration {
    /// `[paths]`: where the platform keeps its state and runtime files.
    public struct Paths: Sendable, Equatable {
        /// `state_dir`: persistent state (repositories, releases, caches, certificates).
        public var stateDirectory = "/var/lib/paastech"
        /// `run_dir`: runtime sockets and pid files; emptied at boot.
        public var runDirectory = "/run/paastech"

        /// Creates the default paths.
        public init() {}

        /// Bare git repositories, `<state>/repos/<project-uuid>.git`.
        public var repositoriesDirectory: String { stateDirectory.appendingPathComponent("repos") }
        /// Immutable releases, `<state>/releases/<deployment-uuid>/<release-id>/`.
        public var releasesDirectory: String { stateDirectory.appendingPathComponent("releases") }
        /// Build caches, `<state>/cache/<project-uuid>/`.
        public var cacheDirectory: String { stateDirectory.appendingPathComponent("cache") }
        /// Certificates and the ACME account of the edge proxy.
        public var edgeDirectory: String { stateDirectory.appendingPathComponent("edge") }
        /// The API's internal Unix socket, authorised by `SO_PEERCRED`.
        public var apiInternalSocket: String { runDirectory.appendingPathComponent("api.sock") }
    }
}

extension PlatformConfiguration.Paths: ConfigurationSection {
    static let keys: [ConfigurationKey<Self>] = [
        ConfigurationKey("state_dir", \.stateDirectory, .absolutePath),
        ConfigurationKey("run_dir", \.runDirectory, .absolutePath),
    ]
}

extension String {
    /// `"/a"` + `"b"` → `"/a/b"`, and `"/"` + `"b"` → `"/b"`.
    fileprivate func appendingPathComponent(_ component: String) -> String {
        hasSuffix("/") ? self + component : self + "/" + component
    }
}
