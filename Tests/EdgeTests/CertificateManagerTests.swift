import ACME
import Foundation
import Logging
import NIOSSL
import PebbleTestSupport
import Synchronization
import Testing
import X509

@testable import Edge

/// The certificate manager with real files, a real pebble, the real local CA and real TLS handshakes.
@Suite(.timeLimit(.minutes(5)))
struct CertificateManagerTests {
    static let logger = Logger(label: "certificate-manager-tests")
    /// Fast retries and checks, so failures and renewals show within a test.
    static let schedule = CertificateManager.Schedule(
        retryInitial: .milliseconds(300), retryMaximum: .seconds(1), checkInterval: .milliseconds(50))
    static let polling = ACMEPollingPolicy(
        interval: .milliseconds(50), maximumInterval: .milliseconds(500), maximumRetryAfter: .seconds(1),
        timeout: .seconds(60), requestTimeout: .seconds(20))

    static func settings(_ pebble: PebbleServer) -> CertificateManager.ACMESettings {
        .init(directoryURL: pebble.directoryURL, contact: ["mailto:ops@example.com"],
              additionalTrustRootsPEM: pebble.listenerRootPEM, polling: polling, connectTimeout: .seconds(5))
    }

    /// An ACME directory where nothing listens.
    static func deadSettings() throws -> CertificateManager.ACMESettings {
        .init(directoryURL: "https://127.0.0.1:\(try PebbleServer.freePorts(1)[0])/dir", polling: polling,
              connectTimeout: .milliseconds(500))
    }

    /// Runs `manager.run()` (the service loop) while `body` runs, and stops it afterwards.
    static func whileRunning<Result>(_ manager: CertificateManager, _ body: () async throws -> Result) async throws -> Result {
        let service = Task { try await manager.run() }
        do {
            let result = try await body()
            service.cancel()
            _ = await service.result
            return result
        } catch {
            service.cancel()
            _ = await service.result
            throw error
        }
    }

    static func leaf(_ served: ServedCertificate) throws -> Certificate {
        try Certificate(derEncoded: served.chain[0].toDERBytes())
    }

    static func dnsNames(_ certificate: Certificate) throws -> [String] {
        guard let names = try certificate.extensions.subjectAlternativeNames else { return [] }
        return names.compactMap { if case .dnsName(let name) = $0 { name } else { nil } }
    }

    // MARK: - Unknown names

    @Test func unknownNamesGetTheGenericFallbackAndNeverAnIssuance() async throws {
        let scratch = try CertificateTestDirectory()
        defer { scratch.remove() }
        let store = try Edge.CertificateStore(directory: scratch.path)
        let recorder = CertificateStatusRecorder()
        let manager = try CertificateManager(
            mode: .acme(Self.deadSettings()), store: store, isKnownHost: { $0 == "known.example.com" },
            schedule: Self.schedule, logger: Self.logger, onStatusChange: { recorder.record($0) })
        try await Self.whileRunning(manager) {
            var serials: Set<String> = []
            for name in ["unknown.example.com", "UNKNOWN.example.com", nil, "not a host name", "127.0.0.1", "known.example.com.evil"] {
                let served = manager.serverCertificate(forServerName: name)
                #expect(served.isFallback, "\(name ?? "no SNI")")
                let certificate = try Self.leaf(served)
                #expect(certificate.subject.description.contains("CN=paastech fallback"))
                #expect(try Self.dnsNames(certificate).isEmpty, "the generic fallback names no host")
                serials.insert(served.serialNumber)
            }
            #expect(serials.count == 1, "one generic fallback for all unknown names")
            manager.prepareCertificate(forHost: "unknown.example.com")
            // Nothing was even queued: no record, no status, no file.
            #expect(manager.statuses().isEmpty)
            let refusal = await #expect(throws: EdgeCertificateError.self) { try await manager.renewNow(host: "unknown.example.com") }
            #expect(refusal?.kind == .unknownHost)
            // Give a wrongly started issuance several check intervals to show up.
            try await Task.sleep(for: .milliseconds(300))
            #expect(manager.statuses().isEmpty)
            #expect(store.storedHosts().isEmpty)
            #expect(recorder.all.isEmpty)
        }
    }

    // MARK: - ACME against pebble

    @Test func aKnownNameGetsTheFallbackFirstThenItsIssuedCertificateAndRenewalReplacesIt() async throws {
        try await PebbleServer.withRunning { pebble in
            let scratch = try CertificateTestDirectory()
            defer { scratch.remove() }
            let store = try Edge.CertificateStore(directory: scratch.path + "/edge")
            let host = "app.example.com"
            let recorder = CertificateStatusRecorder()
            let manager = try CertificateManager(
                mode: .acme(Self.settings(pebble)), store: store, isKnownHost: { $0 == host },
                schedule: Self.schedule, logger: Self.logger, onStatusChange: { recorder.record($0) })
            let root = try Certificate(pemEncoded: try await pebble.issuingRootPEM())

            let (issued, renewed) = try await Self.whileRunning(manager) {
                let first = manager.serverCertificate(forServerName: "App.Example.com")
                #expect(first.isFallback)
                #expect(try Self.dnsNames(Self.leaf(first)) == [host], "the pending host's fallback names it")
                #expect(try Self.leaf(first).subject.description.contains("CN=paastech fallback"))

                try await CertificateTestDirectory.eventually("the issued certificate is served") {
                    !manager.serverCertificate(forServerName: host).isFallback
                }
                let issued = manager.serverCertificate(forServerName: host)
                #expect(issued.source == .acme)
                #expect(issued.chain.count >= 2)
                let status = try #require(manager.status(forHost: host))
                #expect(status.state == .issued)
                #expect(status.notAfter == issued.notAfter)
                #expect(status.lastError == nil)
                let nextAttempt = try #require(status.nextAttempt)
                #expect(nextAttempt < issued.notAfter, "renewal is scheduled before expiry")

                let renewedStatus = try await manager.renewNow(host: host)
                #expect(renewedStatus.state == .issued)
                let renewed = manager.serverCertificate(forServerName: host)
                try await CertificateTestDirectory.eventually("the hook saw the issued certificate") {
                    recorder.states(of: host).contains(.issued)
                }
                return (issued, renewed)
            }
            #expect(recorder.states(of: host).first == .pending)
            #expect(issued.serialNumber != renewed.serialNumber, "renewal replaced the certificate")
            #expect(!renewed.isFallback)

            // The chain verifies up to pebble's root for the host name.
            let chain = try renewed.chain.map { try Certificate(derEncoded: $0.toDERBytes()) }
            var verifier = Verifier(rootCertificates: X509.CertificateStore([root])) {
                RFC5280Policy()
                ServerIdentityPolicy(serverHostname: host, serverIP: nil)
            }
            let result = await verifier.validate(leaf: chain[0], intermediates: X509.CertificateStore(chain.dropFirst()))
            guard case .validCertificate = result else {
                Issue.record("the served chain does not verify: \(result)")
                return
            }

            // Stored privately, and served again by a new manager (an edge restart) without issuing.
            let hostName = try CertificateHostName(host)
            #expect(CertificateTestDirectory.mode(of: store.chainPath(for: hostName)) == 0o600)
            #expect(CertificateTestDirectory.mode(of: store.keyPath(for: hostName)) == 0o600)
            #expect(CertificateTestDirectory.mode(of: store.accountKeyPath) == 0o600)
            let restarted = try CertificateManager(
                mode: .acme(Self.settings(pebble)), store: store, isKnownHost: { $0 == host },
                schedule: Self.schedule, logger: Self.logger)
            let reloaded = restarted.serverCertificate(forServerName: host)
            #expect(reloaded.serialNumber == renewed.serialNumber)
            #expect(restarted.status(forHost: host)?.state == .issued)

            // A real handshake with SNI gets it, and a client trusting pebble's root accepts it.
            var client = TLSConfiguration.makeClientConfiguration()
            client.trustRoots = .certificates([try NIOSSLCertificate(bytes: Array(try await pebble.issuingRootPEM().utf8), format: .pem)])
            let presented = try await CertificateHandshake.presentedCertificate(
                server: restarted.makeServerTLSConfiguration(), serverName: host, client: client)
            #expect(try presented.map { try Certificate(derEncoded: $0.toDERBytes()) } == chain[0])
        }
    }

    @Test func aDeadACMEServerLeavesTheFallbackReportsTheFailureAndRetries() async throws {
        try await PebbleServer.withRunning { pebble in
            let scratch = try CertificateTestDirectory()
            defer { scratch.remove() }
            let store = try Edge.CertificateStore(directory: scratch.path)
            let host = "shop.example.com"
            let recorder = CertificateStatusRecorder()
            let manager = try CertificateManager(
                mode: .acme(Self.deadSettings()), store: store, isKnownHost: { $0 == host },
                schedule: Self.schedule, logger: Self.logger, onStatusChange: { recorder.record($0) })
            try await Self.whileRunning(manager) {
                let started = Date()
                #expect(manager.serverCertificate(forServerName: host).isFallback)
                try await CertificateTestDirectory.eventually("the failure is recorded") {
                    manager.status(forHost: host)?.state == .failed
                }
                let failed = try #require(manager.status(forHost: host))
                let error = try #require(failed.lastError)
                #expect(error.contains("the ACME directory could not be fetched"), "\(error)")
                let retry = try #require(failed.nextAttempt)
                #expect(retry > started, "a retry is scheduled")
                #expect(failed.notAfter == nil)
                // The fallback stays in place, and the handshake path does not hammer the CA meanwhile.
                #expect(manager.serverCertificate(forServerName: host).isFallback)

                // The scheduled retry runs (and fails again) without any handshake asking for it.
                try await CertificateTestDirectory.eventually("a retry ran") {
                    recorder.states(of: host).filter { $0 == .failed }.count >= 2
                }
                #expect(manager.serverCertificate(forServerName: host).isFallback)

                // Once the CA answers, the next retry succeeds.
                manager.updateACMESettings(Self.settings(pebble))
                try await CertificateTestDirectory.eventually("the retry against pebble succeeded") {
                    manager.status(forHost: host)?.state == .issued
                }
                let served = manager.serverCertificate(forServerName: host)
                #expect(!served.isFallback)
                #expect(try Self.dnsNames(Self.leaf(served)) == [host])
                #expect(manager.status(forHost: host)?.lastError == nil)
            }
        }
    }

    /// `*.localhost` and other private-use names (the defaults' `apps.localhost` among them) are never sent
    /// to the ACME server, though it would issue them: no public CA does, so asking only wastes its rate limits.
    @Test func privateUseNamesKeepTheFallbackAndAreNeverSentToTheACMEServer() async throws {
        try await PebbleServer.withRunning { pebble in
            let scratch = try CertificateTestDirectory()
            defer { scratch.remove() }
            let store = try Edge.CertificateStore(directory: scratch.path)
            let hosts = ["web.shop.apps.localhost", "app.internal", "printer.local", "app.example.com"]
            let manager = try CertificateManager(
                mode: .acme(Self.settings(pebble)), store: store, isKnownHost: { hosts.contains($0) },
                schedule: Self.schedule, logger: Self.logger, onStatusChange: { _ in })
            try await Self.whileRunning(manager) {
                for host in hosts { _ = manager.serverCertificate(forServerName: host) }
                try await CertificateTestDirectory.eventually("the public name is issued by pebble") {
                    manager.status(forHost: "app.example.com")?.state == .issued
                }
                for host in hosts.dropLast() {
                    try await CertificateTestDirectory.eventually("\(host) is refused") { manager.status(forHost: host)?.state == .failed }
                    let error = try #require(manager.status(forHost: host)?.lastError)
                    #expect(error.contains("private-use name"), "\(host): \(error)")
                    #expect(manager.serverCertificate(forServerName: host).isFallback, "\(host)")
                }
                #expect(store.storedHosts().map(\.value) == ["app.example.com"])
            }
        }
    }

    @Test func anExpiredStoredCertificateIsReportedAndNotServed() async throws {
        let scratch = try CertificateTestDirectory()
        defer { scratch.remove() }
        let store = try Edge.CertificateStore(directory: scratch.path)
        let host = try CertificateHostName("old.example.com")
        let expired = try SelfSignedCertificate.make(for: host, validity: 60, now: Date() - 7200)
        try store.save(expired, for: host)
        let manager = try CertificateManager(
            mode: .acme(Self.deadSettings()), store: store, isKnownHost: { $0 == host.value },
            schedule: Self.schedule, logger: Self.logger)
        #expect(manager.status(forHost: host.value)?.state == .expired)
        let served = manager.serverCertificate(forServerName: host.value)
        #expect(served.isFallback)
        #expect(served.serialNumber != "\(expired.leaf.serialNumber)")
        try await Self.whileRunning(manager) {
            try await CertificateTestDirectory.eventually("the renewal attempt failed") {
                manager.status(forHost: host.value)?.lastError != nil
            }
            #expect(manager.status(forHost: host.value)?.state == .expired, "still expired, with the error")
        }
    }

    // MARK: - Local CA and self-signed modes

    @Test func theLocalCAModeIssuesOnTheSpotAndServesItOverTLS() async throws {
        let scratch = try CertificateTestDirectory()
        defer { scratch.remove() }
        let store = try Edge.CertificateStore(directory: scratch.path)
        let host = "shop.localhost"
        let manager = try CertificateManager(
            mode: .localCA, store: store, isKnownHost: { $0.hasSuffix(".localhost") && $0 != "other.localhost" },
            schedule: Self.schedule, logger: Self.logger)
        let authority = try #require(manager.localAuthority)

        // No service loop needed: the first handshake gets a real certificate at once.
        let served = manager.serverCertificate(forServerName: host)
        #expect(served.source == .localAuthority)
        let leaf = try Self.leaf(served)
        #expect(try Self.dnsNames(leaf) == [host])
        #expect(leaf.issuer == authority.certificate.subject)
        #expect(authority.certificate.publicKey.isValidSignature(leaf.signature, for: leaf))
        #expect(manager.status(forHost: host)?.state == .issued)
        #expect(manager.serverCertificate(forServerName: host).serialNumber == served.serialNumber, "issued once, then cached")
        #expect(CertificateTestDirectory.mode(of: store.chainPath(for: try CertificateHostName(host))) == 0o600)

        // A client that trusts the local CA completes a fully verified handshake for the name...
        let caCertificate = try NIOSSLCertificate(bytes: Array(authority.certificatePEM.utf8), format: .pem)
        var trusting = TLSConfiguration.makeClientConfiguration()
        trusting.trustRoots = .certificates([caCertificate])
        let presented = try await CertificateHandshake.presentedCertificate(
            server: manager.makeServerTLSConfiguration(), serverName: host, client: trusting)
        #expect(try presented.map { try Certificate(derEncoded: $0.toDERBytes()) } == leaf)

        // ...while unknown names and handshakes without SNI get the generic fallback.
        var anything = TLSConfiguration.makeClientConfiguration()
        anything.certificateVerification = .none
        for name in ["other.localhost", nil] {
            let presentedFallback = try await CertificateHandshake.presentedCertificate(
                server: manager.makeServerTLSConfiguration(), serverName: name, client: anything)
            let fallback = try #require(presentedFallback)
            let certificate = try Certificate(derEncoded: fallback.toDERBytes())
            #expect(certificate.subject.description.contains("CN=paastech fallback"))
            #expect(try Self.dnsNames(certificate).isEmpty)
        }
        #expect(manager.statuses().map(\.host) == [host])

        // A restarted edge serves the stored certificate instead of issuing another.
        let restarted = try CertificateManager(mode: .localCA, store: store, isKnownHost: { _ in true }, logger: Self.logger)
        #expect(restarted.serverCertificate(forServerName: host).serialNumber == served.serialNumber)
    }

    @Test func aHostNoLongerRoutedLosesItsCertificateAfterAWhileButNotAtOnce() async throws {
        let scratch = try CertificateTestDirectory()
        defer { scratch.remove() }
        let store = try Edge.CertificateStore(directory: scratch.path)
        let host = try CertificateHostName("gone.localhost")
        let routed = Mutex(true)
        var schedule = Self.schedule
        schedule.forgetUnroutedAfter = .seconds(3600)
        let manager = try CertificateManager(mode: .localCA, store: store, isKnownHost: { _ in routed.withLock { $0 } },
                                             schedule: schedule, logger: Self.logger)
        #expect(!manager.serverCertificate(forServerName: host.value).isFallback)
        let start = Date()
        manager.forgetUnroutedHosts(now: start)
        routed.withLock { $0 = false }
        manager.forgetUnroutedHosts(now: start + 10)
        manager.forgetUnroutedHosts(now: start + 3000)
        #expect(manager.status(forHost: host.value) != nil && store.storedHosts() == [host], "forgotten before its time")
        // Routed again in between: the clock starts over.
        routed.withLock { $0 = true }
        manager.forgetUnroutedHosts(now: start + 3500)
        routed.withLock { $0 = false }
        manager.forgetUnroutedHosts(now: start + 3600)
        manager.forgetUnroutedHosts(now: start + 7000)
        #expect(store.storedHosts() == [host])
        manager.forgetUnroutedHosts(now: start + 7300)
        #expect(manager.status(forHost: host.value) == nil && store.storedHosts().isEmpty, "kept after an hour unrouted")
        #expect(!FileManager.default.fileExists(atPath: store.keyPath(for: host)))
    }

    @Test func theLocalCAModeRenewsBeforeExpiry() async throws {
        let scratch = try CertificateTestDirectory()
        defer { scratch.remove() }
        let store = try Edge.CertificateStore(directory: scratch.path)
        let host = "soon.localhost"
        // Certificates of 3 s, renewed a third of their life ahead: the loop must replace them by itself.
        var schedule = Self.schedule
        schedule.localCertificateValidity = .seconds(3)
        let manager = try CertificateManager(mode: .localCA, store: store, isKnownHost: { $0 == host },
                                             schedule: schedule, logger: Self.logger)
        let first = manager.serverCertificate(forServerName: host)
        #expect(!first.isFallback)
        try await Self.whileRunning(manager) {
            try await CertificateTestDirectory.eventually("the certificate was renewed") {
                manager.serverCertificate(forServerName: host).serialNumber != first.serialNumber
            }
        }
        #expect(manager.status(forHost: host)?.state == .issued)
    }

    @Test func theSelfSignedModeOnlyServesFallbacks() async throws {
        let scratch = try CertificateTestDirectory()
        defer { scratch.remove() }
        let store = try Edge.CertificateStore(directory: scratch.path)
        let manager = try CertificateManager(mode: .selfSignedOnly, store: store, isKnownHost: { $0 == "app.example.com" },
                                             logger: Self.logger)
        let served = manager.serverCertificate(forServerName: "app.example.com")
        #expect(served.isFallback)
        #expect(try Self.dnsNames(Self.leaf(served)) == ["app.example.com"])
        #expect(manager.serverCertificate(forServerName: "app.example.com").serialNumber == served.serialNumber)
        #expect(manager.statuses().isEmpty)
        await #expect(throws: EdgeCertificateError.self) { try await manager.renewNow(host: "app.example.com") }
    }

    // MARK: - Schedule

    @Test func retriesBackOffExponentiallyUpToTheMaximum() {
        let schedule = CertificateManager.Schedule()
        #expect(schedule.retryDelay(afterFailures: 1) == .seconds(60))
        #expect(schedule.retryDelay(afterFailures: 2) == .seconds(120))
        #expect(schedule.retryDelay(afterFailures: 5) == .seconds(960))
        #expect(schedule.retryDelay(afterFailures: 9) == .seconds(15_360))
        #expect(schedule.retryDelay(afterFailures: 10) == .seconds(6 * 3600))
        #expect(schedule.retryDelay(afterFailures: 1000) == .seconds(6 * 3600))
    }

    @Test func renewalIsDueThirtyDaysAheadOrAThirdOfAShortLifetime() {
        let schedule = CertificateManager.Schedule()
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        let day: TimeInterval = 86_400
        #expect(schedule.renewalDate(notBefore: start, notAfter: start + 90 * day) == start + 60 * day)
        #expect(schedule.renewalDate(notBefore: start, notAfter: start + 9 * day) == start + 6 * day)
    }
}
