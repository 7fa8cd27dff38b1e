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
        /// Checkouts being prepared for a build, `<state>/releases/.incoming/<uuid>/`: inside the releases
        /// directory so that moving one into place is a rename, also where a unit binds only that directory.
        public var incomingBuildsDirectory: String { releasesDirectory.appendingPathComponent(".incoming") }
        /// Build caches, `<state>/cache/<project-uuid>/`.
        public var cacheDirectory: String { stateDirectory.appendingPathComponent("cache") }
        /// Certificates and the ACME account of the edge proxy.
        public var edgeDirectory: String { stateDirectory.appendingPathComponent("edge") }
        /// The SSH host keys of `paastech gitd` (ed25519 and rsa), generated on first start.
        public var gitHostKeysDirectory: String { stateDirectory.appendingPathComponent("git") }
        /// What `paastech backup` archives besides the database, and `paastech restore` replaces: the repositories,
        /// the releases, the logs, the edge's certificates and ACME account, and gitd's host keys (so users'
        /// `known_hosts` stay valid). All below the state directory. Not the build caches (the next build makes
        /// them again), not Pomegranate's state (this host's uid allocations and what runs here: a restore
        /// redeploys the serving releases instead), nothing under the run directory.
        public var backedUpDirectories: [String] {
            [repositoriesDirectory, releasesDirectory, logsDirectory, edgeDirectory, gitHostKeysDirectory]
        }
        /// The repo manager's gRPC socket.
        public var repoManagerSocket: String { runDirectory.appendingPathComponent("repo-manager.sock") }
        /// Per-deployment logs of instances and builds, `<state>/logs/<deployment-uuid>/`.
        public var logsDirectory: String { stateDirectory.appendingPathComponent("logs") }
        /// Pomegranate's persistent state: desired deployments, uid allocations.
        public var pomegranateStateDirectory: String { stateDirectory.appendingPathComponent("pomegranate") }
        /// Pomegranate's runtime state: running instances (for live restore), addresses.
        public var pomegranateRunDirectory: String { runDirectory.appendingPathComponent("pomegranate") }
        /// Pomegranate's gRPC socket (root only).
        public var pomegranateSocket: String { runDirectory.appendingPathComponent("pomegranate.sock") }
        /// The edge's internal Unix socket: Prometheus metrics and certificate status.
        public var edgeSocket: String { runDirectory.appendingPathComponent("edge.sock") }
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
