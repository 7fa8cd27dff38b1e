/// One release of a deployment as pomegranate runs it: what Deploy asked for. Stored in the
/// deployment's state file, so it is restarted after a pomegranate restart or a reboot.
public struct ReleaseSpec: Codable, Sendable, Equatable {
    public var releaseID: String
    /// Host path, mounted read-only at `/app`.
    public var releaseDirectory: String
    /// Host path mounted at `/data`, if any.
    public var dataDirectory: String?
    public var command: [String]
    public var environment: [String: String]
    /// The app listens on `$PORT`.
    public var port: Int
    public var memoryBytes: UInt64?
    public var cpu: Double?
    public var pids: Int?
    public var egress: Bool
    /// Host names routed to this release once it is promoted.
    public var hosts: [String]
    public var stopTimeoutSeconds: Int
    /// How many instances of this release should run (while the deployment is awake).
    public var instances: Int
    /// Stop the instances after this long without traffic (the next request wakes them); nil: never.
    public var sleepAfterSeconds: Int?
    /// The largest request body the edge passes on; nil: the edge's default.
    public var maxBodyBytes: UInt64?

    public init(releaseID: String, releaseDirectory: String, dataDirectory: String? = nil, command: [String],
                environment: [String: String] = [:], port: Int, memoryBytes: UInt64? = nil, cpu: Double? = nil,
                pids: Int? = nil, egress: Bool = true, hosts: [String] = [], stopTimeoutSeconds: Int, instances: Int,
                sleepAfterSeconds: Int? = nil, maxBodyBytes: UInt64? = nil) {
        self.releaseID = releaseID
        self.releaseDirectory = releaseDirectory
        self.dataDirectory = dataDirectory
        self.command = command
        self.environment = environment
        self.port = port
        self.memoryBytes = memoryBytes
        self.cpu = cpu
        self.pids = pids
        self.egress = egress
        self.hosts = hosts
        self.stopTimeoutSeconds = stopTimeoutSeconds
        self.instances = instances
        self.sleepAfterSeconds = sleepAfterSeconds
        self.maxBodyBytes = maxBodyBytes
    }
}

/// A deployment's desired state: `<state>/pomegranate/deployments/<deployment-id>.json`.
struct DeploymentState: Codable, Sendable {
    var identity: DeploymentIdentity
    /// The project's uid (and gid), from ``UIDAllocator``.
    var uid: UInt32
    /// Deployed releases that are not retired: the serving one and any being deployed.
    var releases: [String: ReleaseSpec]
    /// The release the routes point at; nil until the first promote.
    var servingReleaseID: String?
    /// Since when (microseconds since 1970) the deployment sleeps: no instances run until a request
    /// wakes it. Nil while awake.
    var asleepSince: Int64?

    /// How many instances of `releaseID` should run now.
    func desiredInstances(of releaseID: String) -> Int {
        asleepSince == nil ? releases[releaseID]?.instances ?? 0 : 0
    }
}

/// A running instance, as a restarted pomegranate needs it to re-adopt it:
/// `<run>/pomegranate/instances/<instance-id>.json`.
struct InstanceRecord: Codable, Sendable {
    var id: String
    var deploymentID: String
    var releaseID: String
    /// The sandbox of the current run: `<id>-<generation>` (cgroup and veth names).
    var sandboxID: String
    var generation: Int
    var pid: Int32
    var address: String?
    var startedAt: Int64
    var restarts: Int
}
