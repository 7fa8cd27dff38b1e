import ACME
import Foundation
import Glibc
import Logging
import NIOSSL
import ServiceLifecycle
import Synchronization
import Systemd
import PebbleTestSupport
import Testing
import X509

@testable import Edge

/// ACME end to end through the real edge: an in-process `EdgeServer` and `CertificateManager` (ACME mode,
/// one ServiceGroup, wired as `paastech edge` wires them), Debian's pebble doing REAL HTTP-01 validation
/// (no `PEBBLE_VA_ALWAYS_VALID`) against the edge's own plain-HTTP listener, found through
/// `pebble-challtestsrv` as pebble's DNS server (every name → 127.0.0.1), and curl / openssl as clients.
@Suite("ACME end to end through the edge (pebble validates HTTP-01 against the edge)", .timeLimit(.minutes(8)))
struct ACMEEdgeEndToEndTests {
    static let pebbleInstalled = FileManager.default.isExecutableFile(atPath: "/usr/bin/pebble")
        && FileManager.default.isExecutableFile(atPath: ChallengeDNS.executable)

    /// Fast retries and checks; one issuance at a time, so that the request queue is a sequence the test can
    /// synchronise on.
    static let schedule = CertificateManager.Schedule(
        retryInitial: .milliseconds(300), retryMaximum: .seconds(1), checkInterval: .milliseconds(50),
        maximumConcurrentIssuances: 1)
    static let polling = ACMEPollingPolicy(
        interval: .milliseconds(50), maximumInterval: .milliseconds(500), maximumRetryAfter: .seconds(1),
        timeout: .seconds(90), requestTimeout: .seconds(20))

    @Test("a routed name gets pebble's certificate through real HTTP-01 on the edge (redirecting everything else), renewals serve new serials, unknown names never reach the CA, and an unreachable answer fails validation",
          .enabled(if: pebbleInstalled, "needs Debian's pebble and pebble-challtestsrv (the Makefile's apt list installs them)"))
    func realHTTP01ThroughTheEdge() async throws {
        try await withTeardown { teardown in
            let scratch = try CertificateTestDirectory()
            teardown.add { scratch.remove() }
            let listeners = try ACMEEdge.Listeners()
            teardown.add { listeners.closeUnlessHandedOver() }
            let dns = try await ChallengeDNS.start(in: scratch.path)
            teardown.add { await dns.stop() }
            // pebble validates http://<name>:<httpPort>/…: the edge's plain-HTTP port, bound beforehand.
            let pebble = try await PebbleServer.start(validation: .real(httpPort: listeners.httpPort, dnsServer: dns.address))
            teardown.add { await pebble.stop() }
            let settings = CertificateManager.ACMESettings(
                directoryURL: pebble.directoryURL, contact: ["mailto:ops@example.com"],
                additionalTrustRootsPEM: pebble.listenerRootPEM, polling: Self.polling, connectTimeout: .seconds(5))
            let edge = try ACMEEdge(listeners: listeners, acme: settings, directory: scratch.path, schedule: Self.schedule)
            teardown.add { await edge.stop() }
            let shop = try TestBackend.http("shop", in: scratch.path)
            teardown.add { await shop.stop() }
            do {
                try await Self.exercise(edge: edge, pebble: pebble, dns: dns, backend: shop, scratch: scratch.path)
            } catch {
                print("pebble log:\n\(pebble.log.suffix(8000))\nchalltestsrv log:\n\(dns.log.suffix(2000))")
                throw error
            }
        }
    }

    private static func exercise(edge: ACMEEdge, pebble: PebbleServer, dns: ChallengeDNS, backend: TestBackend, scratch: String) async throws {
        let host = "shop.apps.test"
        let manager = edge.manager
        edge.route([host: backend], version: 1)
        #expect(edge.routes.isRouted(host))
        // The mock DNS sends every name to the loopback address, where the edge listens.
        #expect(try await dns.resolveA(host) == ["127.0.0.1"])
        let ownLookups = try await dns.queries(for: host).count

        // Plain HTTP: the routed host is redirected, challenge paths are not (an unknown token is a 404).
        let redirect = try await edge.curl(["-o", "/dev/null", "-w", "%{http_code} %{redirect_url}"], host: host, path: "/cart?x=1")
        #expect(redirect.stdoutText == "308 https://\(host):\(edge.httpsPort)/cart?x=1", "\(redirect)")
        #expect(try await edge.status(host, path: "/.well-known/acme-challenge/no-such-token") == 404)
        #expect(manager.status(forHost: host) == nil, "routing alone asks for nothing: the first handshake does")

        // 1. The first handshake gets the host's self-signed fallback and starts issuance.
        let first = try await edge.presented(host)
        #expect(first.leaf.subject.description.contains("CN=paastech fallback"), "\(first.leaf.subject)")
        #expect(try dnsNames(first.leaf) == [host], "the pending host's fallback names it")
        #expect(manager.status(forHost: host) != nil, "the handshake queued an issuance")
        let insecure = try await edge.curl(["-k"], host: host, https: true)
        #expect(insecure.exitCode == 0 && insecure.stdoutText == "shop", "\(insecure)")

        // 2. Until a handshake presents pebble's certificate: a client trusting only pebble's root gets the app.
        let rootPath = scratch + "/pebble-issuing-root.pem"
        try await pebble.issuingRootPEM().write(toFile: rootPath, atomically: true, encoding: .utf8)
        try await waitUntil("a handshake for \(host) presents a certificate issued by pebble", pebble: pebble) {
            let result = try await edge.curl(["--cacert", rootPath], host: host, https: true)
            return result.exitCode == 0 && result.stdoutText == "shop"
        }
        let verified = try await edge.curl(["--cacert", rootPath, "-w", " %{http_code} %{ssl_verify_result}"], host: host, https: true)
        #expect(verified.stdoutText == "shop 200 0", "\(verified)")
        let issued = try await edge.presented(host)
        #expect(issued.leaf.issuer.description.contains("Pebble"), "\(issued.leaf.issuer)")
        #expect(try dnsNames(issued.leaf) == [host])
        #expect(issued.serial != first.serial)
        let status = try #require(manager.status(forHost: host))
        #expect(status.state == .issued)
        #expect(status.lastError == nil)
        #expect(status.notAfter == issued.leaf.notValidAfter)
        let served = manager.serverCertificate(forServerName: host)
        #expect(served.source == .acme)
        #expect(try Certificate(derEncoded: served.chain[0].toDERBytes()).serialNumber == issued.leaf.serialNumber)

        // ...and it took a real HTTP-01 validation through the edge: pebble resolved the name with the mock DNS,
        // fetched the token from the edge's plain-HTTP listener (which redirects everything else), got the key
        // authorization; the answer is withdrawn afterwards.
        let firstFetches = edge.challengeFetches.answeredTokens
        #expect(!firstFetches.isEmpty, "pebble fetched an answer from the edge")
        #expect(try await dns.queries(for: host).dropFirst(ownLookups).contains { $0.type == 1 }, "pebble looked the name up")
        #expect(manager.challengeStore.publishedTokens.isEmpty, "answers are withdrawn after issuance")
        for token in firstFetches {
            #expect(try await edge.status(host, path: "/.well-known/acme-challenge/\(token)") == 404)
        }

        // 3. forceRenewal(): a new certificate (and a new validation) replaces the served one.
        await manager.forceRenewal()
        let forced = try await edge.presented(host)
        #expect(forced.serial != issued.serial, "forceRenewal() serves a new serial")
        #expect(forced.leaf.issuer.description.contains("Pebble"))
        // Whether pebble validates the renewal again or reuses the valid authorization is pebble's choice (it
        // reused it once under load despite PEBBLE_AUTHZREUSE=0): the new serial is what counts here.
        #expect(manager.status(forHost: host)?.state == .issued)

        // 4. renewNow(host:): likewise, and a verifying client still gets the app.
        let renewedStatus = try await manager.renewNow(host: host)
        #expect(renewedStatus.state == .issued)
        #expect(renewedStatus.lastError == nil)
        let renewed = try await edge.presented(host)
        #expect(renewed.serial != forced.serial && renewed.serial != issued.serial, "renewNow(host:) serves a new serial")
        #expect(renewedStatus.notAfter == renewed.leaf.notValidAfter)
        #expect(try await edge.curl(["--cacert", rootPath], host: host, https: true).stdoutText == "shop")

        // 5. An unknown name over TLS: the generic fallback, a 404, and no issuance at all.
        let stranger = "stranger.apps.test"
        let unknown = try await edge.presented(stranger)
        #expect(unknown.leaf.subject.description.contains("CN=paastech fallback"))
        #expect(try dnsNames(unknown.leaf).isEmpty, "the generic fallback names no host")
        let notFound = try await edge.curl(["-k", "-o", "/dev/null", "-w", "%{http_code}"], host: stranger, https: true)
        #expect(notFound.stdoutText == "404")
        let refusal = await #expect(throws: EdgeCertificateError.self) { try await manager.renewNow(host: stranger) }
        #expect(refusal?.kind == .unknownHost)
        // A routed name queued after it (one issuance at a time) is issued: whatever the stranger might have
        // queued has been processed by then.
        let blog = "blog.apps.test"
        edge.route([host: backend, blog: backend], version: 2)
        #expect(try await edge.presented(blog).leaf.subject.description.contains("CN=paastech fallback"))
        try await waitUntil("\(blog) is served with pebble's certificate", pebble: pebble) {
            let result = try await edge.curl(["--cacert", rootPath], host: blog, https: true)
            return result.exitCode == 0 && result.stdoutText == "shop"
        }
        #expect(manager.statuses().map(\.host) == [blog, host], "no status for \(stranger)")
        #expect(manager.status(forHost: stranger) == nil)
        let blogLeaf = try await edge.presented(blog)

        // What pebble saw: exactly the four orders above, each fulfilled for a routed name; never the stranger.
        let issuedSerials = pebble.issuedSerials
        #expect(Set(issuedSerials.map(normalisedSerial)) == Set([issued, forced, renewed, blogLeaf].map(\.serial)),
                "pebble issued exactly the certificates the edge served: \(issuedSerials)")
        #expect(pebble.orderCount == issuedSerials.count, "every order pebble received was fulfilled")
        for serial in issuedSerials {
            let certificate = try await pebble.issuedCertificate(serial: serial)
            #expect(try Set(dnsNames(certificate)).isSubset(of: [host, blog]), "serial \(serial)")
        }
        #expect(try await dns.queries(for: stranger).isEmpty, "pebble never looked \(stranger) up")
        #expect(!pebble.log.lowercased().contains(stranger))

        // 6. Real validation can fail: a routed name whose DNS points where the edge does not listen (127.0.0.2)
        // gets no certificate; the fallback stays, the failure is recorded with pebble's reason and retried.
        let elsewhere = "elsewhere.apps.test"
        try await dns.addA(host: elsewhere, addresses: ["127.0.0.2"])
        #expect(try await dns.resolveA(elsewhere) == ["127.0.0.2"])
        edge.route([host: backend, blog: backend, elsewhere: backend], version: 3)
        let beforeFailure = Date()
        #expect(try dnsNames(try await edge.presented(elsewhere).leaf) == [elsewhere])
        try await waitUntil("the validation of \(elsewhere) failed", pebble: pebble) {
            manager.status(forHost: elsewhere)?.state == .failed
        }
        let failed = try #require(manager.status(forHost: elsewhere))
        let reason = try #require(failed.lastError)
        #expect(reason.contains("127.0.0.2"), "pebble's reason names the address it could not reach: \(reason)")
        #expect(try #require(failed.nextAttempt) > beforeFailure, "a retry is scheduled")
        try await waitUntil("the failed validation was retried", pebble: pebble) {
            edge.statusRecorder.states(of: elsewhere).filter { $0 == .failed }.count >= 2
        }
        let stillFallback = try await edge.presented(elsewhere)
        #expect(stillFallback.leaf.subject.description.contains("CN=paastech fallback"))
        #expect(try await edge.curl(["-k"], host: elsewhere, https: true).stdoutText == "shop", "the app is served meanwhile")
        #expect(manager.status(forHost: host)?.state == .issued, "other hosts are unaffected")

        // Validation was real throughout.
        #expect(!pebble.log.contains("Skipping real validation"))
        #expect(pebble.log.contains("Disabling random VA sleeps"))
    }

    @Test("a dead ACME directory: the edge serves the host's fallback, records the failure and retries")
    func deadACMEDirectory() async throws {
        try await withTeardown { teardown in
            let scratch = try CertificateTestDirectory()
            teardown.add { scratch.remove() }
            let listeners = try ACMEEdge.Listeners()
            teardown.add { listeners.closeUnlessHandedOver() }
            let settings = CertificateManager.ACMESettings(
                directoryURL: "https://127.0.0.1:\(try PebbleServer.freePorts(1)[0])/dir", polling: Self.polling,
                connectTimeout: .milliseconds(500))
            let edge = try ACMEEdge(listeners: listeners, acme: settings, directory: scratch.path, schedule: Self.schedule)
            teardown.add { await edge.stop() }
            let backend = try TestBackend.http("down", in: scratch.path)
            teardown.add { await backend.stop() }

            let host = "down.apps.test"
            edge.route([host: backend], version: 1)
            let started = Date()
            let first = try await edge.presented(host)
            #expect(first.leaf.subject.description.contains("CN=paastech fallback"))
            #expect(try dnsNames(first.leaf) == [host])
            try await waitUntil("the failure is recorded") { edge.manager.status(forHost: host)?.state == .failed }
            let failed = try #require(edge.manager.status(forHost: host))
            let error = try #require(failed.lastError)
            #expect(error.contains("the ACME directory could not be fetched"), "\(error)")
            let firstRetry = try #require(failed.nextAttempt)
            #expect(firstRetry > started)
            #expect(failed.notAfter == nil)
            // The retry runs by itself (no handshake asks for it), fails again and moves the next attempt on.
            try await waitUntil("a retry ran") {
                guard let now = edge.manager.status(forHost: host), let next = now.nextAttempt else { return false }
                return now.state == .failed && next > firstRetry
            }
            try await waitUntil("the hook saw both failures") {
                edge.statusRecorder.states(of: host).filter { $0 == .failed }.count >= 2
            }
            #expect(edge.statusRecorder.states(of: host).first == .pending)
            // Through all of it the edge serves the app with the fallback, and plain HTTP still redirects.
            let later = try await edge.presented(host)
            #expect(later.leaf.subject.description.contains("CN=paastech fallback"))
            #expect(try await edge.curl(["-k"], host: host, https: true).stdoutText == "down")
            #expect(try await edge.status(host) == 308)
        }
    }
}

// MARK: - Helpers

private func dnsNames(_ certificate: Certificate) throws -> [String] {
    guard let names = try certificate.extensions.subjectAlternativeNames else { return [] }
    return names.compactMap { if case .dnsName(let name) = $0 { name } else { nil } }
}

/// Polls `condition` every 50 ms until it holds, for at most `timeout` (generous: the machine may be busy).
private func waitUntil(
    _ what: String, timeout: Duration = .seconds(150), pebble: PebbleServer? = nil, _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else {
            throw CertificateTestFailure("timed out waiting until \(what)\(pebble.map { "\npebble log:\n\($0.log.suffix(4000))" } ?? "")")
        }
        try await Task.sleep(for: .milliseconds(50))
    }
}

/// Runs `body`, then the teardown steps it registered (last first), whether it returned or threw.
private func withTeardown<Result>(_ body: (Teardown) async throws -> Result) async throws -> Result {
    let teardown = Teardown()
    do {
        let result = try await body(teardown)
        await teardown.run()
        return result
    } catch {
        await teardown.run()
        throw error
    }
}

private final class Teardown: Sendable {
    private let steps = Mutex<[@Sendable () async -> Void]>([])

    func add(_ step: @escaping @Sendable () async -> Void) {
        steps.withLock { $0.append(step) }
    }

    func run() async {
        for step in steps.withLock({ $0 }).reversed() { await step() }
    }
}

/// The tokens the edge was asked for on its plain-HTTP listener, and whether it had an answer.
final class ChallengeFetchLog: Sendable {
    private let fetches = Mutex<[(token: String, answered: Bool)]>([])

    func record(_ token: String, answered: Bool) {
        fetches.withLock { $0.append((token, answered)) }
    }

    /// The distinct tokens answered, in order of first fetch.
    var answeredTokens: [String] {
        var seen: Set<String> = []
        return fetches.withLock { $0 }.filter { $0.answered && seen.insert($0.token).inserted }.map(\.token)
    }
}

/// An edge as `paastech edge` runs it in ACME mode: `EdgeServer` and `CertificateManager` in one
/// ServiceGroup, the manager's challenge store answering on the plain-HTTP listener, which redirects
/// everything else to HTTPS.
final class ACMEEdge: Sendable {
    /// The two listening sockets, bound first: pebble must know the HTTP port before the edge starts.
    final class Listeners: Sendable {
        let http: Int32
        let https: Int32
        let httpPort: Int
        let httpsPort: Int
        private let handedOver = Mutex(false)

        init() throws {
            http = try ListeningSocket.bindTCP(host: "127.0.0.1", port: 0)
            do {
                https = try ListeningSocket.bindTCP(host: "127.0.0.1", port: 0)
            } catch {
                close(http)
                throw error
            }
            do {
                httpPort = try boundPort(http)
                httpsPort = try boundPort(https)
            } catch {
                close(http)
                close(https)
                throw error
            }
        }

        /// The edge server owns (and closes) them from now on.
        func handOver() {
            handedOver.withLock { $0 = true }
        }

        /// Closes them when no edge server took them (its set-up failed first).
        func closeUnlessHandedOver() {
            guard !handedOver.withLock({ $0 }) else { return }
            close(http)
            close(https)
        }
    }

    let routes: RouteTableStore
    let manager: CertificateManager
    let httpPort: Int
    let httpsPort: Int
    let challengeFetches: ChallengeFetchLog
    let statusRecorder: CertificateStatusRecorder
    private let group: ServiceGroup
    private let running: Task<Void, Error>

    init(listeners: Listeners, acme: CertificateManager.ACMESettings, directory: String,
         schedule: CertificateManager.Schedule) throws {
        var logger = Logger(label: "acme-edge-e2e")
        logger.logLevel = .info
        let routes = RouteTableStore(platform: [:], maxBodyBytes: EdgeSettings().maxBodyBytes, logger: logger)
        self.routes = routes
        let recorder = CertificateStatusRecorder()
        statusRecorder = recorder
        let fetches = ChallengeFetchLog()
        challengeFetches = fetches
        let manager = try CertificateManager(
            mode: .acme(acme), store: try CertificateStore(directory: directory + "/edge"),
            isKnownHost: { routes.isRouted($0) }, schedule: schedule, logger: logger,
            onStatusChange: { recorder.record($0) })
        self.manager = manager
        httpPort = listeners.httpPort
        httpsPort = listeners.httpsPort
        var settings = EdgeSettings()
        settings.redirectHTTPToHTTPS = true
        settings.publicHTTPSPort = listeners.httpsPort
        settings.accessLog = false
        let challenges = manager.challengeStore
        listeners.handOver()
        let server = EdgeServer(
            httpSocket: listeners.http, httpsSocket: listeners.https, routes: routes, settings: settings,
            challengeAnswer: { token in
                let answer = challenges.keyAuthorization(forToken: token)
                fetches.record(token, answered: answer != nil)
                return answer
            },
            certificates: { name in
                let served = manager.serverCertificate(forServerName: name)
                return (served.chain, served.privateKey)
            },
            logger: logger)
        let group = ServiceGroup(services: [server, manager], gracefulShutdownSignals: [], cancellationSignals: [], logger: logger)
        self.group = group
        running = Task { try await group.run() }
    }

    func route(_ table: [String: TestBackend], version: UInt64) {
        routes.updateAppRoutes(table.map { host, backend in
            RouteSources.AppRoute(host: host, deploymentID: "deployment-\(host)", backends: [backend.address])
        }, version: version)
    }

    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await running.value
    }

    /// curl against the edge; `--resolve` sends the name to 127.0.0.1.
    func curl(_ arguments: [String], host: String, https: Bool = false, path: String = "/") async throws -> ProgramRun.Result {
        let port = https ? httpsPort : httpPort
        let url = "\(https ? "https" : "http")://\(host):\(port)\(path)"
        return try await ProgramRun("/usr/bin/curl", ["-sS", "--max-time", "20", "--resolve", "\(host):\(port):127.0.0.1"] + arguments + [url],
                                    environment: ["PATH": "/usr/bin:/bin"], timeout: .seconds(30)).run()
    }

    func status(_ host: String, path: String = "/") async throws -> Int {
        Int(try await curl(["-o", "/dev/null", "-w", "%{http_code}"], host: host, path: path).stdoutText) ?? -1
    }

    /// The leaf a TLS handshake with `serverName` as SNI is presented (`openssl s_client`), and its serial
    /// as `openssl x509 -serial` prints it (lower-case hex without leading zeros, as pebble logs it).
    func presented(_ serverName: String) async throws -> (leaf: Certificate, serial: String) {
        let environment = ["PATH": "/usr/bin:/bin"]
        let handshake = try await ProgramRun(
            "/usr/bin/openssl", ["s_client", "-connect", "127.0.0.1:\(httpsPort)", "-servername", serverName],
            environment: environment, timeout: .seconds(30)).run()
        let output = handshake.stdoutText
        guard let begin = output.range(of: "-----BEGIN CERTIFICATE-----"),
              let end = output.range(of: "-----END CERTIFICATE-----", range: begin.upperBound..<output.endIndex)
        else { throw CertificateTestFailure("no certificate in the handshake for \(serverName): \(handshake)") }
        let pem = String(output[begin.lowerBound..<end.upperBound]) + "\n"
        let x509 = try await ProgramRun("/usr/bin/openssl", ["x509", "-noout", "-serial"], environment: environment,
                                        input: Array(pem.utf8), timeout: .seconds(30)).run()
        let printed = x509.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        guard x509.exitCode == 0, printed.hasPrefix("serial=") else { throw CertificateTestFailure("openssl x509: \(x509)") }
        return (try Certificate(pemEncoded: pem), normalisedSerial(String(printed.dropFirst("serial=".count))))
    }
}

/// Hex serial in one spelling: lower case, no leading zeros.
private func normalisedSerial(_ hex: String) -> String {
    let trimmed = hex.lowercased().drop { $0 == "0" }
    return trimmed.isEmpty ? "0" : String(trimmed)
}
