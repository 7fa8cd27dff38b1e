import ACME
import Crypto
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// The edge's source of TLS certificates: the one thing the TLS listener asks, in its SNI callback,
/// which certificate to present (``serverCertificate(forServerName:)``, synchronous and cheap).
///
/// - Names the route table does not know (``init(mode:store:isKnownHost:challengeStore:schedule:logger:onStatusChange:)``'s
///   `isKnownHost`) get a generic self-signed fallback, and never cause an issuance.
/// - A known name with a valid certificate gets it. Without one it gets a self-signed fallback for its
///   name while a certificate is obtained: in ACME mode in the background (one issuance per host at a
///   time, see ``run()``), in local-CA mode on the spot.
/// - ``run()`` renews certificates before they expire and retries failures with exponential back-off; a
///   failing CA leaves the fallback (or the previous, still valid certificate) in place.
///
/// Certificates and keys are kept in a ``CertificateStore`` and loaded again at start.
public final class CertificateManager: Service, Sendable {
    /// The files behind the manager.
    public let store: CertificateStore
    /// HTTP-01 answers for the ACME CA; the edge's port-80 listener serves them
    /// (``HTTP01ChallengeStore/keyAuthorization(forPath:)``).
    public let challengeStore: HTTP01ChallengeStore
    /// The development CA (local-CA mode only); its certificate is what dev clients should trust.
    public let localAuthority: LocalCertificateAuthority?
    /// Renewal and retry timing.
    public let schedule: Schedule

    let kind: ModeKind
    let accountKey: P256.Signing.PrivateKey?
    let isKnownHost: @Sendable (String) -> Bool
    let onStatusChange: (@Sendable (CertificateStatus) async -> Void)?
    let logger: Logger
    let state: Mutex<State>
    /// Hosts waiting for a background issuance; consumed by ``run()``.
    let requests = AsyncStream<CertificateHostName>.makeStream()
    /// Status changes waiting for the hook; delivered in order by ``run()``.
    let statusEvents = AsyncStream<CertificateStatus>.makeStream()

    /// The modes without their settings.
    enum ModeKind: Sendable {
        case acme, localCA, selfSignedOnly
    }

    /// Opens the store, creates what the mode needs (the ACME account key, the local CA) and loads the
    /// stored certificates. Nothing runs in the background until ``run()``.
    /// - Parameters:
    ///   - mode: Where certificates come from.
    ///   - store: Where they are kept.
    ///   - isKnownHost: Whether the edge routes a (lower-case) host name; only those get certificates.
    ///     Called on TLS handshakes: it must be fast and must not block.
    ///   - challengeStore: The HTTP-01 responder shared with the port-80 listener.
    ///   - schedule: Renewal and retry timing.
    ///   - logger: Where issuance and failures are logged.
    ///   - onStatusChange: Called (in order, from ``run()``) whenever a host's ``CertificateStatus`` changes.
    public init(
        mode: Mode,
        store: CertificateStore,
        isKnownHost: @escaping @Sendable (String) -> Bool,
        challengeStore: HTTP01ChallengeStore = HTTP01ChallengeStore(),
        schedule: Schedule = Schedule(),
        logger: Logger,
        onStatusChange: (@Sendable (CertificateStatus) async -> Void)? = nil
    ) throws(EdgeCertificateError) {
        self.store = store
        self.challengeStore = challengeStore
        self.schedule = schedule
        self.isKnownHost = isKnownHost
        self.onStatusChange = onStatusChange
        self.logger = logger
        var acmeSettings: ACMESettings?
        switch mode {
        case .acme(let settings):
            kind = .acme
            acmeSettings = settings
            accountKey = try store.loadOrCreateAccountKey()
            localAuthority = nil
        case .localCA:
            kind = .localCA
            accountKey = nil
            localAuthority = try LocalCertificateAuthority.loadOrCreate(in: store)
        case .selfSignedOnly:
            kind = .selfSignedOnly
            accountKey = nil
            localAuthority = nil
        }
        let generic = try SelfSignedCertificate.make(for: nil, validity: Self.timeInterval(schedule.fallbackValidity))
            .served(source: .fallback)
        state = Mutex(State(genericFallback: generic, acmeSettings: acmeSettings))
        loadStoredCertificates()
    }

    // MARK: - The TLS listener's question

    /// The certificate to present for a handshake that asked for `serverName` (SNI; nil without it).
    ///
    /// Synchronous and cheap: it runs inside NIOSSL's SNI callback. Unknown or invalid names get the
    /// generic fallback. A known name without a valid certificate gets its own fallback and starts
    /// issuance (ACME: queued for ``run()``, unless one is running or a retry is not yet due; local CA:
    /// issued right here, which takes well under a millisecond).
    public func serverCertificate(forServerName serverName: String?) -> ServedCertificate {
        guard let serverName, let host = CertificateHostName(serverName: serverName), isKnownHost(host.value) else {
            return genericFallback()
        }
        let now = Date()
        enum Next {
            case serve(ServedCertificate)
            case issueLocally
            case fallback
        }
        var enqueue = false
        var change: CertificateStatus?
        let next = state.withLock { state -> Next in
            guard kind != .selfSignedOnly else { return .fallback }
            var record = state.records[host.value] ?? HostRecord(host: host, nextAttempt: now)
            defer {
                change = record.takeStatusChange(now: now)
                state.records[host.value] = record
            }
            if let certificate = record.certificate, certificate.notAfter > now { return .serve(certificate) }
            // A local failure (disk, crypto) waits for its retry like an ACME one.
            if kind == .localCA { return record.lastError != nil && (record.nextAttempt ?? now) > now ? .fallback : .issueLocally }
            if !record.queued && !record.inProgress && (record.nextAttempt ?? now) <= now {
                record.queued = true
                enqueue = true
            }
            return .fallback
        }
        if let change { report(change) }
        if enqueue {
            logger.info("requesting a certificate", metadata: ["host": "\(host)"])
            requests.continuation.yield(host)
        }
        switch next {
        case .serve(let certificate):
            return certificate
        case .issueLocally:
            if let certificate = issueLocally(host, now: now) { return certificate }
            return fallback(for: host, now: now)
        case .fallback:
            return fallback(for: host, now: now)
        }
    }

    /// Makes sure `host` gets a certificate without waiting for a first handshake (the edge calls this
    /// when a route is added). Does nothing for unknown or invalid names.
    public func prepareCertificate(forHost host: String) {
        _ = serverCertificate(forServerName: host)
    }

    // MARK: - Status

    /// The status of every host certificates are issued for, by host name.
    public func statuses() -> [CertificateStatus] {
        let now = Date()
        return state.withLock { state in
            state.records.values.map { $0.status(now: now) }
        }.sorted { $0.host < $1.host }
    }

    /// The status of one host, or nil when no certificate was ever asked for it.
    public func status(forHost host: String) -> CertificateStatus? {
        let now = Date()
        return state.withLock { $0.records[host]?.status(now: now) }
    }

    /// Replaces the ACME settings (directory, contact, trust roots) for the next issuances; in-flight
    /// issuances finish with the old ones. Does nothing outside ACME mode.
    public func updateACMESettings(_ settings: ACMESettings) {
        guard kind == .acme else { return }
        state.withLock { $0.acmeSettings = settings }
    }

    // MARK: - Internals

    /// The generic fallback, remade when it is about to run out.
    func genericFallback() -> ServedCertificate {
        let now = Date()
        let current = state.withLock { $0.genericFallback }
        if current.notAfter > now + 86_400 { return current }
        guard let fresh = try? SelfSignedCertificate.make(for: nil, validity: Self.timeInterval(schedule.fallbackValidity))
            .served(source: .fallback)
        else { return current }
        state.withLock { $0.genericFallback = fresh }
        return fresh
    }

    /// The host's own self-signed stand-in (its name in the SAN), made on first need.
    func fallback(for host: CertificateHostName, now: Date) -> ServedCertificate {
        if let cached = state.withLock({ $0.fallbacks[host.value] }), cached.notAfter > now + 86_400 {
            return cached
        }
        do {
            let fresh = try SelfSignedCertificate.make(for: host, validity: Self.timeInterval(schedule.fallbackValidity))
                .served(source: .fallback)
            state.withLock { $0.fallbacks[host.value] = fresh }
            return fresh
        } catch {
            logger.error("could not make a fallback certificate", metadata: ["host": "\(host)", "error": "\(error)"])
            return genericFallback()
        }
    }

    /// Hands a status change to the hook (through ``run()``, which delivers them in order).
    func report(_ status: CertificateStatus) {
        guard onStatusChange != nil else { return }
        statusEvents.continuation.yield(status)
    }

    /// Loads the stored certificates that suit the mode: in ACME mode not the local CA's, in local-CA
    /// mode only this CA's, none for self-signed-only.
    private func loadStoredCertificates() {
        guard kind != .selfSignedOnly else { return }
        let now = Date()
        var changes: [CertificateStatus] = []
        for host in store.storedHosts() {
            let bundle: CertificateBundle
            do {
                guard let stored = try store.load(host) else { continue }
                bundle = stored
            } catch {
                logger.warning("ignoring an unreadable stored certificate; it will be issued again",
                               metadata: ["host": "\(host)", "error": "\(error)"])
                continue
            }
            let fromLocalAuthority = bundle.leaf.issuer.description.contains(LocalCertificateAuthority.commonName)
            let source: ServedCertificate.Source
            switch kind {
            case .acme:
                guard !fromLocalAuthority else { continue }
                source = .acme
            case .localCA:
                guard let localAuthority, bundle.leaf.issuer == localAuthority.certificate.subject else { continue }
                source = .localAuthority
            case .selfSignedOnly:
                continue
            }
            let served: ServedCertificate
            do {
                served = try bundle.served(source: source)
            } catch {
                logger.warning("ignoring a stored certificate BoringSSL cannot load", metadata: ["host": "\(host)", "error": "\(error)"])
                continue
            }
            var record = HostRecord(host: host, nextAttempt: schedule.renewalDate(notBefore: bundle.notBefore, notAfter: bundle.notAfter))
            record.certificate = served
            if let change = record.takeStatusChange(now: now) { changes.append(change) }
            state.withLock { $0.records[host.value] = record }
        }
        changes.forEach(report)
        if !changes.isEmpty {
            logger.info("loaded stored certificates", metadata: ["count": "\(changes.count)"])
        }
    }
}
