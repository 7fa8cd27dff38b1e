/// How one deployment is built and run: what detection decided, written into the release as
/// `.paastech/release.json` so a rollback runs it exactly as it ran then.
public struct BuildRecipe: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        /// Serves HTTP on $PORT; health-checked with GET before it takes traffic.
        case web
        /// No HTTP; healthy if it stays up for a few seconds.
        case worker
    }

    /// "python", "node", "go", "swift", "static", or "custom" (paastech.toml's own build).
    public var builder: String
    /// Shell script run in the build sandbox in /app (empty: nothing to build).
    public var buildScript: String
    /// Shell command that starts the app in /app.
    public var runCommand: String
    public var kind: Kind
    public var port: Int
    /// Path of the health check (web only).
    public var healthCheckPath: String
    /// Extra environment at run time (e.g. PATH with the virtualenv).
    public var environment: [String: String]

    public init(builder: String, buildScript: String, runCommand: String, kind: Kind, port: Int = 8080,
                healthCheckPath: String = "/", environment: [String: String] = [:]) {
        self.builder = builder
        self.buildScript = buildScript
        self.runCommand = runCommand
        self.kind = kind
        self.port = port
        self.healthCheckPath = healthCheckPath
        self.environment = environment
    }
}

/// A deployment found in a pushed tree.
public struct DetectedDeployment: Sendable, Equatable {
    /// `[a-z][a-z0-9-]{0,38}`.
    public var name: String
    /// Subdirectory of the repository (`""` for the root).
    public var path: String
    public var recipe: BuildRecipe
    /// Values the repository's paastech.toml declares; nil means "the deployment's own setting".
    public var instances: Int?
    public var memoryMiB: Int?
    public var cpu: Double?
    public var egress: Bool
    /// paastech.toml's `sleep_after` and `max_body`.
    public var sleepAfterSeconds: Int?
    public var maxBodyBytes: Int?

    public init(name: String, path: String, recipe: BuildRecipe, instances: Int? = nil, memoryMiB: Int? = nil,
                cpu: Double? = nil, egress: Bool = true, sleepAfterSeconds: Int? = nil, maxBodyBytes: Int? = nil) {
        self.name = name
        self.path = path
        self.recipe = recipe
        self.instances = instances
        self.memoryMiB = memoryMiB
        self.cpu = cpu
        self.egress = egress
        self.sleepAfterSeconds = sleepAfterSeconds
        self.maxBodyBytes = maxBodyBytes
    }
}
