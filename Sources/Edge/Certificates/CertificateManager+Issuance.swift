import ACME
import Crypto
import Foundation
import Logging

extension CertificateManager {
    /// Obtains a new certificate for `host` now, even if the current one is still valid, and waits for
    /// it (after any issuance already running for the host). For administrators and tests.
    /// - Returns: The host's status afterwards.
    /// - Throws: ``EdgeCertificateError`` for an invalid or unknown host or in self-signed-only mode; the
    ///   issuance's error (``ACMEError``, ``EdgeCertificateError``) when it fails, which is also recorded in
    ///   the status and retried later like any failure.
    @discardableResult
    public func renewNow(host name: String) async throws -> CertificateStatus {
        let host = try CertificateHostName(name)
        guard isKnownHost(host.value) else {
            throw EdgeCertificateError(.unknownHost, operation: "renew the certificate of \(host)",
                                   reason: "the edge has no route for it", hint: "add the domain to a deployment first")
        }
        guard kind != .selfSignedOnly else {
            throw EdgeCertificateError(.issuance, operation: "renew the certificate of \(host)",
                                   reason: "the edge serves only self-signed certificates", hint: "configure ACME or the local CA")
        }
        while true {
            let claimed = state.withLock { state -> Bool in
                var record = state.records[host.value] ?? HostRecord(host: host, nextAttempt: Date())
                defer { state.records[host.value] = record }
                guard !record.inProgress else { return false }
                record.inProgress = true
                record.queued = false  // this renewal answers a queued request too
                return true
            }
            if claimed { break }
            await waitUntilIdle(host)
            try Task.checkCancellation()
        }
        _ = try await performClaimedIssuance(host).get()
        return status(forHost: host.value) ?? CertificateStatus(host: host.value, state: .issued)
    }

    /// Forces renewal of every host with a certificate; failures are recorded in the statuses.
    public func forceRenewal() async {
        let hosts = state.withLock { Array($0.records.keys) }.sorted()
        for host in hosts {
            do {
                try await renewNow(host: host)
            } catch {
                logger.warning("forced renewal failed", metadata: ["host": "\(host)", "error": "\(error)"])
            }
        }
    }

    /// Runs a queued request for `host`, unless the host is no longer routed or another issuance took over.
    func processQueued(_ host: CertificateHostName) async {
        let known = isKnownHost(host.value)
        let claimed = state.withLock { state -> Bool in
            guard var record = state.records[host.value], record.queued else { return false }
            defer { state.records[host.value] = record }
            record.queued = false
            guard known, !record.inProgress else { return false }
            record.inProgress = true
            return true
        }
        guard claimed else { return }
        _ = await performClaimedIssuance(host)
    }

    /// Obtains a certificate for a host the caller has claimed (`inProgress`), records the outcome,
    /// releases the claim and wakes the tasks waiting for it.
    func performClaimedIssuance(_ host: CertificateHostName) async -> Result<ServedCertificate, any Error> {
        let result: Result<ServedCertificate, any Error>
        do {
            result = .success(try await obtain(host))
        } catch {
            result = .failure(error)
        }
        let now = Date()
        let cancelled = Task.isCancelled
        let (change, waiters) = state.withLock { state -> (CertificateStatus?, [CheckedContinuation<Void, Never>]) in
            var record = state.records[host.value] ?? HostRecord(host: host, nextAttempt: nil)
            record.inProgress = false
            switch result {
            case .success(let certificate):
                record.certificate = certificate
                record.lastError = nil
                record.failures = 0
                record.nextAttempt = schedule.nextRenewal(of: certificate, now: now)
            case .failure where cancelled:
                // Shutting down: not the CA's fault, and the next start tries again.
                break
            case .failure(let error):
                record.failures += 1
                record.lastError = "\(error)"
                record.nextAttempt = now + Self.timeInterval(schedule.retryDelay(afterFailures: record.failures))
            }
            let change = record.takeStatusChange(now: now)
            state.records[host.value] = record
            return (change, state.waiters.removeValue(forKey: host.value) ?? [])
        }
        switch result {
        case .success(let certificate):
            logger.info("certificate ready", metadata: [
                "host": "\(host)", "source": "\(certificate.source.rawValue)", "notAfter": "\(certificate.notAfter)",
            ])
        case .failure(let error) where !cancelled:
            logger.warning("certificate issuance failed; the fallback stays in place", metadata: [
                "host": "\(host)", "error": "\(error)", "nextAttempt": "\(change?.nextAttempt.map { "\($0)" } ?? "?")",
            ])
        case .failure:
            break
        }
        if let change { report(change) }
        waiters.forEach { $0.resume() }
        return result
    }

    /// Issues and stores a certificate for `host` with the mode's CA.
    private func obtain(_ host: CertificateHostName) async throws -> ServedCertificate {
        switch kind {
        case .acme:
            guard host.isPubliclyIssuable else {
                throw EdgeCertificateError(.issuance, operation: "issue a certificate for \(host)",
                                           reason: "no public certificate authority issues for a private-use name",
                                           hint: "use a public domain, or [edge] certificates = \"local\"")
            }
            return try await obtainFromACME(host)
        case .localCA:
            guard let localAuthority else { throw missingAuthority(host) }
            let bundle = try localAuthority.issue(for: host, validity: Self.timeInterval(schedule.localCertificateValidity))
            try store.save(bundle, for: host)
            return try bundle.served(source: .localAuthority)
        case .selfSignedOnly:
            throw missingAuthority(host)
        }
    }

    /// One ACME issuance with a fresh certificate key and an HTTP client of its own (issuance happens
    /// a few times a quarter per host: simpler than sharing a client across the service's lifetime).
    private func obtainFromACME(_ host: CertificateHostName) async throws -> ServedCertificate {
        guard let settings = state.withLock({ $0.acmeSettings }), let accountKey else { throw missingAuthority(host) }
        let httpClient = try ACMEClient.makeHTTPClient(
            additionalTrustRootsPEM: settings.additionalTrustRootsPEM, connectTimeout: settings.connectTimeout)
        do {
            let client = ACMEClient(directoryURL: settings.directoryURL, accountKey: accountKey, contact: settings.contact,
                                    httpClient: httpClient, logger: logger, polling: settings.polling)
            let key = P256.Signing.PrivateKey()
            let issued = try await client.issueCertificate(for: [host.value], certificateKey: key, responder: challengeStore)
            let bundle = try CertificateBundle(chainPEM: issued.chainPEM, privateKeyPEM: key.pemRepresentation)
            try store.save(bundle, for: host)
            let served = try bundle.served(source: .acme)
            try? await httpClient.shutdown()
            return served
        } catch {
            try? await httpClient.shutdown()
            throw error
        }
    }

    /// Issues a local-CA certificate on the spot (from the SNI callback); nil when that failed (the
    /// failure is recorded and retried by ``run()``).
    func issueLocally(_ host: CertificateHostName, now: Date) -> ServedCertificate? {
        let result: Result<ServedCertificate, any Error>
        do {
            guard let localAuthority else { throw missingAuthority(host) }
            let bundle = try localAuthority.issue(for: host, validity: Self.timeInterval(schedule.localCertificateValidity), now: now)
            do {
                try store.save(bundle, for: host)
            } catch {
                // Still serve it: the page works now, and the next start issues again.
                logger.warning("could not store a local certificate", metadata: ["host": "\(host)", "error": "\(error)"])
            }
            result = .success(try bundle.served(source: .localAuthority))
        } catch {
            result = .failure(error)
        }
        let change = state.withLock { state -> CertificateStatus? in
            var record = state.records[host.value] ?? HostRecord(host: host, nextAttempt: now)
            switch result {
            case .success(let certificate):
                // Another handshake may have issued one meanwhile: either is fine, keep the newer.
                if record.certificate.map({ $0.notAfter < certificate.notAfter }) ?? true {
                    record.certificate = certificate
                }
                record.lastError = nil
                record.failures = 0
                record.nextAttempt = schedule.nextRenewal(of: certificate, now: now)
            case .failure(let error):
                record.failures += 1
                record.lastError = "\(error)"
                record.nextAttempt = now + Self.timeInterval(schedule.retryDelay(afterFailures: record.failures))
            }
            let change = record.takeStatusChange(now: now)
            state.records[host.value] = record
            return change
        }
        if let change { report(change) }
        if case .failure(let error) = result {
            logger.error("local certificate issuance failed", metadata: ["host": "\(host)", "error": "\(error)"])
        }
        return try? result.get()
    }

    /// Suspends until no issuance runs for `host`.
    private func waitUntilIdle(_ host: CertificateHostName) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let idle = state.withLock { state -> Bool in
                guard state.records[host.value]?.inProgress == true else { return true }
                state.waiters[host.value, default: []].append(continuation)
                return false
            }
            if idle { continuation.resume() }
        }
    }

    private func missingAuthority(_ host: CertificateHostName) -> EdgeCertificateError {
        EdgeCertificateError(.issuance, operation: "issue a certificate for \(host)", reason: "this mode has no certificate authority")
    }
}
