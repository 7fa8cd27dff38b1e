import Cgroups
import Dispatch
import Logging
import Synchronization

/// cgroup v1 leaves made ahead of time (``SpareCgroup``), so that starting a sandbox renames a ready leaf
/// (one `rename` per controller) instead of making one and writing its limits (about 0.25 ms here).
///
/// Spares are kept per kind (app or build) and limits, for the last few limits asked for: a deployment
/// starts its instances with the same limits. Taking one starts a refill on a serial queue of its own, shortly
/// after the take (``DeferredRefill``); a start with limits never seen before makes its leaf itself. Spares are
/// removed when the pool goes away, and leftovers of an earlier process when it is made. cgroup v2 cannot
/// rename cgroups: no pool there.
final class CgroupPool: Sendable {
    struct Key: Hashable, Sendable {
        let isBuild: Bool
        let limits: ResourceLimits
    }

    /// Spares kept per key.
    let capacity: Int
    /// Keys kept; the least recently asked for goes first.
    static let keysKept = 4
    private let manager: CgroupV1Manager
    private let logger: Logger
    /// Distinguishes this pool's spares from those of another runner on the same subtree.
    private let token = String(UInt32.random(in: .min ... .max), radix: 16)
    private let queue = DispatchQueue(label: "paastech.sandbox.cgroup-pool")
    private let state = Mutex<State>(State())
    private let refills: DeferredRefill

    private struct State {
        var ready: [Key: [SpareCgroup]] = [:]
        /// Most recently asked for last.
        var recent: [Key] = []
        var made: UInt64 = 0
        var closed = false
    }

    init(capacity: Int, manager: CgroupV1Manager, logger: Logger) {
        self.capacity = capacity
        self.manager = manager
        self.logger = logger
        refills = DeferredRefill(queue: queue)
        manager.removeLeftoverSpares()
    }

    deinit {
        close()
    }

    /// The leaf `name` with `limits`, from a spare when one is ready; nil otherwise (the caller creates it).
    /// Starts a refill either way.
    func take(_ name: CgroupName, isBuild: Bool, limits: ResourceLimits) -> Cgroup? {
        let key = Key(isBuild: isBuild, limits: limits)
        let (spare, left) = state.withLock { state -> (SpareCgroup?, Int) in
            state.recent.removeAll { $0 == key }
            state.recent.append(key)
            let spare = state.ready[key]?.popLast()
            return (spare, state.ready[key]?.count ?? 0)
        }
        fill(urgent: left <= capacity / 4)
        guard let spare else { return nil }
        do {
            return try manager.claim(spare, as: name)
        } catch {
            logger.debug("cannot claim a spare cgroup; making the leaf", metadata: ["cgroup": "\(name)", "error": "\(error)"])
            manager.discard(spare)
            return nil
        }
    }

    /// Returns once the refill started so far has finished.
    func waitUntilRefilled() async {
        await refills.waitUntilDone()
    }

    /// Removes every spare and stops refilling.
    func close() {
        let spares = state.withLock { state -> [SpareCgroup] in
            state.closed = true
            defer { state.ready = [:] }
            return state.ready.values.flatMap { $0 }
        }
        for spare in spares { manager.discard(spare) }
    }

    /// Makes the spares recent keys lack, in the background (see ``DeferredRefill`` for when).
    private func fill(urgent: Bool) {
        guard capacity > 0, !state.withLock({ $0.closed }) else { return }
        refills.schedule(urgent: urgent) { self.refill() }
    }

    private func refill() {
        while true {
            var forgotten: [SpareCgroup] = []
            let next = state.withLock { state -> (Key, UInt64)? in
                // Forget the spares of keys no longer recent.
                while state.recent.count > Self.keysKept {
                    forgotten += state.ready.removeValue(forKey: state.recent.removeFirst()) ?? []
                }
                guard !state.closed, let key = state.recent.last(where: { (state.ready[$0]?.count ?? 0) < capacity }) else { return nil }
                state.made &+= 1
                return (key, state.made)
            }
            for spare in forgotten { manager.discard(spare) }
            guard let (key, number) = next else { return }
            do {
                let spare = try manager.makeSpare(tag: "\(token)-\(number)", isBuild: key.isBuild, limits: key.limits)
                let kept = state.withLock { state -> Bool in
                    guard !state.closed, state.recent.contains(key) else { return false }
                    state.ready[key, default: []].append(spare)
                    return true
                }
                if !kept { manager.discard(spare) }
            } catch {
                // Try again on the next take; meanwhile sandboxes make their own leaves.
                logger.warning("cannot prepare a spare cgroup", metadata: ["error": "\(error)"])
                return
            }
        }
    }
}
