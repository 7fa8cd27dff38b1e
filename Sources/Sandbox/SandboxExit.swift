import Cgroups

/// How a sandbox ended.
public struct SandboxExit: Sendable, Equatable, CustomStringConvertible {
    /// The app's exit status, or 128 + signal; nil when not known (a sandbox adopted after a restart,
    /// whose init pomegranate did not start and cannot reap).
    public var status: Int32?
    public var events: CgroupEvents
    public var limits: ResourceLimits
    /// It did not stop within the grace period of ``RunningSandbox/terminate(gracePeriod:)`` and was killed.
    public var killedAfterGracePeriod: Bool

    public init(status: Int32?, events: CgroupEvents, limits: ResourceLimits, killedAfterGracePeriod: Bool = false) {
        self.status = status
        self.events = events
        self.limits = limits
        self.killedAfterGracePeriod = killedAfterGracePeriod
    }

    public var oomKilled: Bool { events.wasOOMKilled }

    public var description: String {
        var text = status.map { "exited with status \($0)" } ?? "ended (status unknown: adopted after a restart)"
        if killedAfterGracePeriod { text += "; killed after its grace period" }
        if oomKilled { text += "; killed for exceeding its memory limit (\(limits))" }
        if events.pidsMaxHits > 0 { text += "; hit its process limit \(events.pidsMaxHits) times" }
        return text
    }
}
