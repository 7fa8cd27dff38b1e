import Foundation
import Sandbox

/// One minute of a deployment's resource use, for the console's charts.
public struct UsageMinute: Sendable, Equatable {
    /// The minute's start, seconds since 1970.
    public var start: Int64
    /// Memory of all its instances together when sampled.
    public var memoryBytes: UInt64
    /// CPU time all its instances used during the minute.
    public var cpuSeconds: Double
}

/// Memory and CPU use per deployment, read from each instance's cgroup once a minute (a `PeriodicService` of the daemon),
/// an hour kept in memory.
extension Supervisor {
    /// Records the minute that ended at `now` for every deployment with running instances.
    public func sampleUsage(now: Date = Date()) {
        let start = Int64(now.timeIntervalSince1970) / 60 * 60 - 60
        var seen: Set<String> = []
        for (deploymentID, minute) in readUsage(start: start, advancing: true, seen: &seen) {
            var history = usageHistory[deploymentID, default: []]
            history.append(minute)
            if history.count > 60 { history.removeFirst(history.count - 60) }
            usageHistory[deploymentID] = history
        }
        cpuAtLastSample = cpuAtLastSample.filter { seen.contains($0.key) }
        usageHistory = usageHistory.filter { deployments[$0.key] != nil }
    }

    /// The last hour of `deploymentID`'s use, the minute in progress (read now) last.
    public func usage(deploymentID: String, now: Date = Date()) -> [UsageMinute] {
        var seen: Set<String> = []
        let current = readUsage(start: Int64(now.timeIntervalSince1970) / 60 * 60, advancing: false, seen: &seen)[deploymentID]
        return usageHistory[deploymentID, default: []] + (current.map { [$0] } ?? [])
    }

    /// Sums each deployment's running sandboxes: memory now, CPU since the last sample (`advancing` moves
    /// that mark to now). A sandbox new since the last sample counts its whole CPU time.
    private func readUsage(start: Int64, advancing: Bool, seen: inout Set<String>) -> [String: UsageMinute] {
        var minutes: [String: UsageMinute] = [:]
        for instance in instances.values where instance.state == .running {
            guard let sandbox = instance.sandbox else { continue }
            seen.insert(sandbox.id)
            var minute = minutes[instance.record.deploymentID] ?? UsageMinute(start: start, memoryBytes: 0, cpuSeconds: 0)
            minute.memoryBytes += sandbox.cgroup.memoryCurrent() ?? 0
            if let cpu = sandbox.cgroup.cpuUsage() {
                let used = cpu - (cpuAtLastSample[sandbox.id] ?? .zero)
                minute.cpuSeconds += max(0, Double(used.components.seconds) + Double(used.components.attoseconds) / 1e18)
                if advancing { cpuAtLastSample[sandbox.id] = cpu }
            }
            minutes[instance.record.deploymentID] = minute
        }
        return minutes
    }
}
