extension CertificateManager {
    /// Everything behind the manager's lock.
    struct State: Sendable {
        /// The hosts certificates are issued for, by name.
        var records: [String: HostRecord] = [:]
        /// Self-signed stand-ins per known host, made on first need.
        var fallbacks: [String: ServedCertificate] = [:]
        /// The stand-in for unknown names and handshakes without SNI.
        var genericFallback: ServedCertificate
        /// The ACME settings in force (ACME mode only); replaceable while running.
        var acmeSettings: ACMESettings?
        /// ``CertificateManager/run()`` has started.
        var running = false
        /// Tasks of ``CertificateManager/renewNow(host:)`` waiting for a running issuance to end.
        var waiters: [String: [CheckedContinuation<Void, Never>]] = [:]
    }
}
