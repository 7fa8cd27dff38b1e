/// Everything the route table is made from. Each source is replaced whole when it reports; the edge
/// keeps serving the last table when a source goes away (Pomegranate or the API restarting).
public struct RouteSources: Sendable, Equatable {
    /// One app route from Pomegranate's WatchRoutes: `<deployment>.<project>.<apps-domain>` → instances.
    public struct AppRoute: Sendable, Equatable {
        public var host: String
        public var deploymentID: String
        public var backends: [String]
        /// The deployment sleeps when idle: the edge reports its traffic and wakes it.
        public var sleeps: Bool
        /// It sleeps now (no backends until woken).
        public var asleep: Bool
        /// The deployment's own request body limit, if it has one.
        public var maxBodyBytes: Int?
        public init(host: String, deploymentID: String, backends: [String], sleeps: Bool = false, asleep: Bool = false,
                    maxBodyBytes: Int? = nil) {
            self.host = host
            self.deploymentID = deploymentID
            self.backends = backends
            self.sleeps = sleeps
            self.asleep = asleep
            self.maxBodyBytes = maxBodyBytes
        }
    }

    /// A host name the API maps to a deployment: a custom domain, or `<project>.<apps-domain>`.
    public struct Alias: Sendable, Equatable {
        public var host: String
        public var deploymentID: String
        public init(host: String, deploymentID: String) {
            self.host = host
            self.deploymentID = deploymentID
        }
    }

    /// Pomegranate's routes and the version of its table.
    public var appRoutes: [AppRoute] = []
    public var appRoutesVersion: UInt64 = 0
    /// The API's extra host names.
    public var aliases: [Alias] = []
    /// The platform's own names (`console.<domain>`, `api.<domain>`) → `ip:port`.
    public var platform: [String: String] = [:]

    public init(platform: [String: String] = [:]) {
        self.platform = platform
    }
}
