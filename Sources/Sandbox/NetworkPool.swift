import Dispatch
import Glibc
import Logging
import Networking
import Synchronization

/// Network namespaces wired ahead of time, so that starting a bridged sandbox costs a `setns` instead
/// of a new namespace, a veth pair and its addresses (about 1.8 ms here).
///
/// Each entry is a fresh namespace with `lo` up and `eth0` on the bridge (an isolated port) with an
/// address and a default route, held open by an fd. An entry goes to exactly one sandbox and is never
/// given back: the sandbox's child joins it, this fd is closed, and the namespace dies with the
/// sandbox's last process (its veth pair with it). Addresses of ready entries are recorded under
/// placeholder ids (`pool:<token>:<n>`) and handed to the sandbox's id when taken; the namespaces of a
/// previous process died with it, so a new ``SandboxNetwork`` frees its placeholders' addresses.
///
/// Refilled on a serial queue of its own, in the background, shortly after an entry is taken (``DeferredRefill``).
final class NetworkPool: Sendable {
    struct Entry: Sendable {
        let namespaceFD: Int32
        let address: IPv4Address
        let hostInterface: String
        let placeholderID: String
    }

    let capacity: Int
    private let instances: InstanceNetwork
    private let allocator: AddressAllocator
    private let logger: Logger
    /// Distinguishes this process's entries (ids and interface names) from a predecessor's.
    private let token = String(UInt16.random(in: .min ... .max), radix: 16)
    private let queue = DispatchQueue(label: "paastech.sandbox.network-pool")
    private let state = Mutex<State>(State())
    private let refills: DeferredRefill

    private struct State {
        var ready: [Entry] = []
        var made: UInt32 = 0
    }

    init(capacity: Int, instances: InstanceNetwork, allocator: AddressAllocator, logger: Logger) {
        self.capacity = capacity
        self.instances = instances
        self.allocator = allocator
        self.logger = logger
        refills = DeferredRefill(queue: queue)
    }

    deinit {
        // Unused entries go with their namespaces; their addresses are free again.
        for entry in state.withLock({ $0.ready }) { discard(entry) }
    }

    /// A ready namespace for sandbox `id`, its address now recorded for `id`; nil when none is ready
    /// (the caller then wires one itself). Starts a refill either way.
    func take(for id: String) -> Entry? {
        let entry = state.withLock { state in state.ready.isEmpty ? nil : state.ready.removeFirst() }
        fill()
        guard let entry else { return nil }
        do {
            try allocator.transfer(entry.address, from: entry.placeholderID, to: id)
            return entry
        } catch {
            logger.warning("discarding a prepared network namespace", metadata: ["error": "\(error)"])
            discard(entry)
            return nil
        }
    }

    /// Returns once the refill started so far has finished.
    func waitUntilRefilled() async {
        await refills.waitUntilDone()
    }

    /// Makes entries in the background until `capacity` are ready (see ``DeferredRefill`` for when).
    func fill() {
        guard capacity > 0 else { return }
        let ready = state.withLock { $0.ready.count }
        guard ready < capacity else { return }
        refills.schedule(urgent: ready <= capacity / 4) { self.refill() }
    }

    /// The placeholder ids of ready entries.
    var placeholderIDs: Set<String> {
        state.withLock { Set($0.ready.map(\.placeholderID)) }
    }

    private func refill() {
        while true {
            let number = state.withLock { state -> UInt32? in
                guard state.ready.count < capacity else { return nil }
                state.made &+= 1
                return state.made
            }
            guard let number else { return }
            do {
                let entry = try makeEntry(number)
                state.withLock { $0.ready.append(entry) }
            } catch {
                // Try again on the next take; meanwhile sandboxes wire their own namespaces.
                logger.warning("cannot prepare a network namespace", metadata: ["error": "\(error)"])
                return
            }
        }
    }

    /// What placeholder ids start with: a `:` no sandbox id can contain (they are `[a-z0-9-]`).
    static let placeholderPrefix = "pool:"

    private func makeEntry(_ number: UInt32) throws -> Entry {
        let placeholderID = "\(Self.placeholderPrefix)\(token):\(number)"
        // At most 15 characters: "ptp" + 4 + 8 hex digits.
        let hostInterface = "ptp" + token + String(number, radix: 16)
        let address = try allocator.allocate(for: placeholderID)
        do {
            let namespaceFD = try NetworkNamespace.create()
            do {
                try instances.attach(namespaceFD: namespaceFD, hostInterface: hostInterface, address: address)
            } catch {
                close(namespaceFD)
                throw error
            }
            return Entry(namespaceFD: namespaceFD, address: address, hostInterface: hostInterface, placeholderID: placeholderID)
        } catch {
            try? allocator.release(address)
            throw error
        }
    }

    private func discard(_ entry: Entry) {
        close(entry.namespaceFD)  // the namespace and its veth pair go with the last reference
        if allocator.allocations[entry.address] == entry.placeholderID { try? allocator.release(entry.address) }
    }
}
