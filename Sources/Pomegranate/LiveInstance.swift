import Sandbox

/// An instance the supervisor looks after: its record (persisted while it runs), its state, and
/// its sandbox while there is one.
struct LiveInstance {
    var record: InstanceRecord
    var state: InstanceStatus.State
    var sandbox: RunningSandbox?
    var lastExit: String?
    var port: Int
    /// Its app accepts connections on `port`: only then is it routed.
    var accepting = false

    func status() -> InstanceStatus {
        InstanceStatus(id: record.id, deploymentID: record.deploymentID, releaseID: record.releaseID, state: state,
                       pid: sandbox?.pid, address: sandbox?.address.map { "\($0):\(port)" },
                       restarts: record.restarts, startedAt: record.startedAt, lastExit: lastExit)
    }
}
