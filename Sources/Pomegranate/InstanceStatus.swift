/// An instance as Status and Deploy report it.
public struct InstanceStatus: Sendable, Equatable {
    public enum State: String, Sendable {
        case starting, running
        /// Crashed; restarts after a delay.
        case backingOff = "backing-off"
        case stopping, stopped
    }

    public var id: String
    public var deploymentID: String
    public var releaseID: String
    public var state: State
    /// The sandbox init's pid on the host; nil when not running.
    public var pid: Int32?
    /// `ip:port` on the platform bridge.
    public var address: String?
    public var restarts: Int
    /// Microseconds since 1970.
    public var startedAt: Int64
    public var lastExit: String?
}

/// A deployment as Status reports it.
public struct DeploymentStatus: Sendable {
    public var identity: DeploymentIdentity
    public var servingReleaseID: String?
    public var desiredInstances: Int
    public var hosts: [String]
    public var instances: [InstanceStatus]
    /// Stopped for lack of traffic; the next request wakes it.
    public var asleep: Bool
    public var sleepAfterSeconds: Int?
}

/// Where the edge sends a host's requests.
public struct Route: Sendable, Equatable {
    public var host: String
    public var projectID: String
    public var deploymentID: String
    public var releaseID: String
    /// `ip:port` of each running instance of the serving release that accepts connections.
    public var backends: [String]
    /// The deployment sleeps after this long without traffic; nil: never.
    public var sleepAfterSeconds: Int?
    /// No instances run until the edge wakes the deployment.
    public var asleep: Bool
    public var maxBodyBytes: UInt64?
}

/// The whole route table; `version` grows with every change.
public struct RouteTable: Sendable, Equatable {
    public var version: UInt64
    public var routes: [Route]
}
