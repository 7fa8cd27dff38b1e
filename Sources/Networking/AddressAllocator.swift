import Dispatch
import Foundation
import Synchronization
import Systemd

/// Hands out instance addresses from the platform subnet, never one in use.
///
/// Skips the network, gateway (the bridge, `.0.1`) and broadcast addresses. Every change is written to
/// a JSON state file (address → instance id), so a restarted pomegranate knows which addresses its
/// surviving instances hold (live restore); ``reconcile(liveInstanceIDs:)`` then frees those of instances
/// that are gone. Thread-safe.
///
/// By default the file is written before each call returns. With `savesInBackground` it is written soon
/// after, off the caller's path (each write costs 0.1 to 0.4 ms on ext4), coalescing changes; the file
/// then lags by a few milliseconds, so an instance started just before a crash may be missing from it:
/// adopting it records its address again (``claim(_:for:)``).
///
/// The file is replaced atomically (see ``StateFileReplacement``) but not fsynced: it describes
/// instances, which do not survive a reboot either.
public final class AddressAllocator: Sendable {
    /// The state file's name inside the state directory.
    public static let stateFileName = "addresses.json"

    /// The subnet addresses come from.
    public let subnet: IPv4Subnet
    /// The state file's path.
    public let statePath: String
    private let state: Mutex<State>
    private let backgroundSaving: BackgroundSaving?

    /// The writer of background saves: one at a time, the latest state each time.
    private final class BackgroundSaving: Sendable {
        let queue = DispatchQueue(label: "paastech.networking.address-state")
        let scheduled = Mutex(false)
        let onFailure: @Sendable (AddressAllocatorError) -> Void

        init(onFailure: @escaping @Sendable (AddressAllocatorError) -> Void) {
            self.onFailure = onFailure
        }
    }

    private struct State {
        var instanceByAddress: [IPv4Address: String]
        /// Where the next search starts: after the last address handed out, so a just-released address
        /// (still in neighbours' ARP caches and in conntrack) is reused as late as possible.
        var nextCandidate: UInt32
    }

    /// Loads the state file from `stateDirectory` (creating the directory if needed), or starts empty.
    /// - Throws: ``AddressAllocatorError`` `.unusableSubnet` for a subnet with no room for instances;
    ///   ``AddressAllocatorError`` when the file exists but cannot be read or parsed (refusing
    ///   to guess which addresses are free), or the directory cannot be created.
    /// - Parameters:
    ///   - savesInBackground: Write the state file after returning instead of before (see above).
    ///   - onSaveFailure: With `savesInBackground`, told when a write fails (the next change tries again).
    public init(subnet: IPv4Subnet, stateDirectory: String, savesInBackground: Bool = false,
                onSaveFailure: @escaping @Sendable (AddressAllocatorError) -> Void = { _ in }) throws(AddressAllocatorError) {
        backgroundSaving = savesInBackground ? BackgroundSaving(onFailure: onSaveFailure) : nil
        do throws(NetworkConfigurationError) {
            try subnet.validateForInstances()
        } catch {
            throw AddressAllocatorError(.unusableSubnet, error.description)
        }
        self.subnet = subnet
        self.statePath = stateDirectory + "/" + Self.stateFileName
        do {
            try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
        } catch {
            throw AddressAllocatorError(.unwritableState, "cannot create the address state directory \(stateDirectory): \(error)")
        }
        let loaded = try Self.load(statePath)
        let highest = loaded.keys.filter(subnet.isInstanceAddress).max()
        state = Mutex(State(instanceByAddress: loaded, nextCandidate: highest.map { $0.value + 1 } ?? subnet.instanceAddresses.lowerBound))
    }

    /// Every address in use, with the instance holding it.
    public var allocations: [IPv4Address: String] {
        state.withLock { $0.instanceByAddress }
    }

    /// Hands out a free address to `instanceID` and records it; returns the instance's existing address if
    /// it already has one.
    /// - Throws: ``AddressAllocatorError`` `.exhausted` when no address is free, `.unwritableState` when the
    ///   state cannot be saved (the address is then not handed out).
    public func allocate(for instanceID: String) throws(AddressAllocatorError) -> IPv4Address {
        try state.withLock { (state: inout State) throws(AddressAllocatorError) -> IPv4Address in
            if let existing = state.instanceByAddress.first(where: { $0.value == instanceID })?.key { return existing }
            let range = subnet.instanceAddresses
            let count = UInt64(range.count)
            let start = range.contains(state.nextCandidate) ? state.nextCandidate : range.lowerBound
            for step in 0..<count {
                let offset = (UInt64(start - range.lowerBound) + step) % count
                let candidate = IPv4Address(range.lowerBound + UInt32(offset))
                guard state.instanceByAddress[candidate] == nil else { continue }
                var updated = state.instanceByAddress
                updated[candidate] = instanceID
                try persist(updated)
                state.instanceByAddress = updated
                state.nextCandidate = candidate.value + 1
                return candidate
            }
            throw AddressAllocatorError(
                .exhausted,
                "no free address for instance \(instanceID): all \(count) instance addresses of \(subnet) are in use; "
                    + "use a larger subnet or stop instances"
            )
        }
    }

    /// Records that `instanceID` holds `address`, for live restore: an instance that survived a restart
    /// keeps the address it has. Does nothing when the state already says so (the usual case).
    /// - Throws: ``AddressAllocatorError`` `.addressInUse` when another instance holds it,
    ///   `.notInSubnet` when it is not an instance address of the subnet, `.unwritableState` when the state
    ///   cannot be saved.
    public func claim(_ address: IPv4Address, for instanceID: String) throws(AddressAllocatorError) {
        guard subnet.isInstanceAddress(address) else {
            throw AddressAllocatorError(.notInSubnet, "address \(address) of instance \(instanceID) is not an instance address of \(subnet)")
        }
        try state.withLock { (state: inout State) throws(AddressAllocatorError) in
            switch state.instanceByAddress[address] {
            case instanceID:
                return
            case let holder?:
                throw AddressAllocatorError(
                    .addressInUse, "address \(address) of instance \(instanceID) is recorded for instance \(holder); stop one of them")
            case nil:
                var updated = state.instanceByAddress
                updated[address] = instanceID
                try persist(updated)
                state.instanceByAddress = updated
            }
        }
    }

    /// Hands `address` from `currentID` to `newID`: a namespace wired ahead of time under a placeholder id
    /// goes to the instance that takes it.
    /// - Throws: ``AddressAllocatorError`` `.addressInUse` when `currentID` does not hold it (nothing
    ///   changes then), `.unwritableState` when the state cannot be saved.
    public func transfer(_ address: IPv4Address, from currentID: String, to newID: String) throws(AddressAllocatorError) {
        try state.withLock { (state: inout State) throws(AddressAllocatorError) in
            guard state.instanceByAddress[address] == currentID else {
                throw AddressAllocatorError(
                    .addressInUse, "address \(address) is not held by \(currentID) (it is \(state.instanceByAddress[address] ?? "free")), so it cannot go to \(newID)")
            }
            var updated = state.instanceByAddress
            updated[address] = newID
            try persist(updated)
            state.instanceByAddress = updated
        }
    }

    /// Frees `address`. Freeing an address that is not in use does nothing.
    public func release(_ address: IPv4Address) throws(AddressAllocatorError) {
        try state.withLock { (state: inout State) throws(AddressAllocatorError) in
            guard state.instanceByAddress[address] != nil else { return }
            var updated = state.instanceByAddress
            updated[address] = nil
            try persist(updated)
            state.instanceByAddress = updated
        }
    }

    /// Frees the addresses of every instance not in `liveInstanceIDs`: after a restart, with the ids of the
    /// instances that survived it.
    /// - Returns: The addresses freed.
    @discardableResult
    public func reconcile(liveInstanceIDs: Set<String>) throws(AddressAllocatorError) -> [IPv4Address] {
        try reconcile(isLive: { liveInstanceIDs.contains($0) })
    }

    /// Frees the addresses of every holder for which `isLive` is false, deciding under the allocator's
    /// lock (so that holders recorded meanwhile by another thread are judged too).
    /// - Returns: The addresses freed.
    @discardableResult
    public func reconcile(isLive: (String) -> Bool) throws(AddressAllocatorError) -> [IPv4Address] {
        try state.withLock { (state: inout State) throws(AddressAllocatorError) -> [IPv4Address] in
            let stale = state.instanceByAddress.filter { !isLive($0.value) }.keys.sorted()
            guard !stale.isEmpty else { return [] }
            var updated = state.instanceByAddress
            for address in stale { updated[address] = nil }
            try persist(updated)
            state.instanceByAddress = updated
            return stale
        }
    }

    /// Returns once the state file holds every change made so far (at once without `savesInBackground`).
    public func waitUntilSaved() {
        backgroundSaving?.queue.sync {}
    }

    /// Writes `updated` now, or schedules a background write of the latest state. Called under the lock,
    /// before the state takes `updated`.
    private func persist(_ updated: [IPv4Address: String]) throws(AddressAllocatorError) {
        guard let saving = backgroundSaving else {
            try Self.save(updated, to: statePath)
            return
        }
        let alreadyScheduled = saving.scheduled.withLock { scheduled in
            defer { scheduled = true }
            return scheduled
        }
        guard !alreadyScheduled else { return }
        saving.queue.async { [self] in
            // Changes from here on schedule another write.
            saving.scheduled.withLock { $0 = false }
            let latest = state.withLock { $0.instanceByAddress }
            do throws(AddressAllocatorError) {
                try Self.save(latest, to: statePath)
            } catch {
                saving.onFailure(error)
            }
        }
    }

    private static func load(_ path: String) throws(AddressAllocatorError) -> [IPv4Address: String] {
        guard FileManager.default.fileExists(atPath: path) else { return [:] }
        let byText: [String: String]
        do {
            byText = try JSONDecoder().decode([String: String].self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw AddressAllocatorError(
                .unreadableState,
                "cannot read the address state \(path): \(error); fix or remove the file only after stopping every instance, "
                    + "or addresses may be given out twice"
            )
        }
        var loaded: [IPv4Address: String] = [:]
        for (text, instanceID) in byText {
            guard let address = IPv4Address(text) else {
                throw AddressAllocatorError(.unreadableState, "address state \(path) holds \"\(text)\", which is not an IPv4 address")
            }
            loaded[address] = instanceID
        }
        return loaded
    }

    private static func save(_ instanceByAddress: [IPv4Address: String], to path: String) throws(AddressAllocatorError) {
        let byText = Dictionary(uniqueKeysWithValues: instanceByAddress.map { ($0.key.description, $0.value) })
        let bytes: [UInt8]
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            bytes = Array(try encoder.encode(byText))
        } catch {
            throw AddressAllocatorError(.unwritableState, "cannot encode the address state for \(path): \(error)")
        }
        do throws(SystemCallError) {
            try StateFileReplacement.replace(path, with: bytes)
        } catch {
            throw AddressAllocatorError(.unwritableState, "cannot save the address state to \(path): \(error)")
        }
    }
}
