import NIOCore
import Synchronization

/// One place requests can be sent: an app instance (`10.88.0.12:5000`) or a platform service.
///
/// Passive health: a backend that refuses a connection or fails before answering is taken out for
/// `Backend.quarantine` and then tried again; nothing probes it meanwhile.
public final class Backend: Sendable, CustomStringConvertible {
    /// How long a failed backend is skipped.
    static let quarantine: Duration = .seconds(10)

    /// `ip:port`, as Pomegranate reports it.
    public let address: String
    /// The resolved socket address.
    let socketAddress: SocketAddress
    private let failedAt = Mutex<ContinuousClock.Instant?>(nil)
    private let routed = Atomic<Bool>(true)

    /// - Throws: if `address` is not a numeric `ip:port`.
    public init(address: String) throws {
        self.address = address
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else {
            throw EdgeError.badBackendAddress(address)
        }
        var host = String(address[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        do {
            socketAddress = try SocketAddress(ipAddress: host, port: port)
        } catch {
            throw EdgeError.badBackendAddress(address)
        }
    }

    public var description: String { address }

    /// Whether requests may go here now.
    var isAvailable: Bool {
        failedAt.withLock { failed in
            guard let at = failed else { return true }
            if ContinuousClock.now - at >= Self.quarantine {
                failed = nil
                return true
            }
            return false
        }
    }

    /// A connection was refused or broke before a response: skip this backend for a while.
    func markFailed() { failedAt.withLock { $0 = .now } }

    /// A response came back: the backend is healthy.
    func markHealthy() { failedAt.withLock { $0 = nil } }

    /// Whether the route table still has it. Once not (a deploy retired its instance), connections to it are
    /// not kept idle: what is left open is in use, and the instance stops when nothing is.
    var isRouted: Bool { routed.load(ordering: .relaxed) }

    func markUnrouted() { routed.store(false, ordering: .relaxed) }
}

/// The instances of one deployment (or one platform service), chosen round robin among the available ones.
public final class BackendPool: Sendable {
    /// What this pool serves, for logs and metrics: a deployment id, `console` or `api`.
    public let name: String
    public let backends: [Backend]
    /// The largest request body accepted for this pool.
    public let maxBodyBytes: Int
    /// The deployment sleeps when idle: its traffic is reported, and a request finding no backend wakes it.
    public let sleeps: Bool
    /// It sleeps now.
    public let asleep: Bool
    private let nextIndex = Atomic<Int>(0)

    public init(name: String, backends: [Backend], maxBodyBytes: Int, sleeps: Bool = false, asleep: Bool = false) {
        self.name = name
        self.backends = backends
        self.maxBodyBytes = maxBodyBytes
        self.sleeps = sleeps
        self.asleep = asleep
    }

    /// The next available backend, skipping `excluded` (ones that already failed for this request). When
    /// every backend is quarantined, the next one anyway: better to try than to fail without trying.
    func pick(excluding excluded: [Backend] = []) -> Backend? {
        let count = backends.count
        guard count > 0 else { return nil }
        let start = nextIndex.wrappingAdd(1, ordering: .relaxed).oldValue
        var fallback: Backend?
        for offset in 0..<count {
            let backend = backends[(start &+ offset) % count]
            if excluded.contains(where: { $0 === backend }) { continue }
            if backend.isAvailable { return backend }
            if fallback == nil { fallback = backend }
        }
        return fallback
    }
}
