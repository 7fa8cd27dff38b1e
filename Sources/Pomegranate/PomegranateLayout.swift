import PlatformConfig

/// Where pomegranate keeps things, declared once.
///
/// Desired state (what should run) is persistent, so apps come back after a reboot; runtime state
/// (what runs now: pids, for live restore) lives under the run directory, which a reboot empties.
public struct PomegranateLayout: Sendable {
    /// `<state>/pomegranate`: desired deployments and uid allocations.
    public var stateDirectory: String
    /// `<run>/pomegranate`: running instances, the address allocator, the sandbox staging root.
    public var runDirectory: String
    /// `<state>/logs`: one bounded log per deployment.
    public var logsDirectory: String
    /// The gRPC socket.
    public var socketPath: String

    public init(stateDirectory: String, runDirectory: String, logsDirectory: String, socketPath: String) {
        self.stateDirectory = stateDirectory
        self.runDirectory = runDirectory
        self.logsDirectory = logsDirectory
        self.socketPath = socketPath
    }

    public init(_ paths: PlatformConfiguration.Paths) {
        self.init(stateDirectory: paths.pomegranateStateDirectory, runDirectory: paths.pomegranateRunDirectory,
                  logsDirectory: paths.logsDirectory, socketPath: paths.pomegranateSocket)
    }

    /// `<state>/deployments/<deployment-uuid>.json`: a deployment's releases, hosts and instance count.
    var deploymentsDirectory: String { stateDirectory + "/deployments" }
    /// `<state>/uids.json`: project uuid → uid.
    var uidAllocationsPath: String { stateDirectory + "/uids.json" }
    /// `<run>/instances/<instance-id>.json`: a running instance's pid and address.
    var instancesDirectory: String { runDirectory + "/instances" }
    /// An empty directory each sandbox mounts its own root over (in its own mount namespace).
    var sandboxStagingRoot: String { runDirectory + "/root" }

    func deploymentLogDirectory(_ deploymentID: String) -> String { logsDirectory + "/" + deploymentID }
}
