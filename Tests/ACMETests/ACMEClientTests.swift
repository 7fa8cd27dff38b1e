import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import PebbleTestSupport
import Testing
import X509

@testable import ACME

/// The client against a real pebble: issuance, renewal, refusals, nonces and unreachable servers.
@Suite(.timeLimit(.minutes(3)))
struct ACMEClientTests {
    static let polling = ACMEPollingPolicy(
        interval: .milliseconds(50), maximumInterval: .milliseconds(500), maximumRetryAfter: .seconds(1),
        timeout: .seconds(60), requestTimeout: .seconds(20))

    static let logger = Logger(label: "acme-tests")

    /// Runs `body` with a client for `pebble`'s directory and a fresh account key.
    static func withClient<Result: Sendable>(
        _ pebble: PebbleServer, accountKey: P256.Signing.PrivateKey = P256.Signing.PrivateKey(),
        connectTimeout: Duration = .seconds(10),
        _ body: (ACMEClient) async throws -> Result
    ) async throws -> Result {
        let httpClient = try ACMEClient.makeHTTPClient(additionalTrustRootsPEM: pebble.listenerRootPEM, connectTimeout: connectTimeout)
        do {
            let client = ACMEClient(directoryURL: pebble.directoryURL, accountKey: accountKey, contact: ["mailto:ops@example.com"],
                                    httpClient: httpClient, logger: logger, polling: polling)
            let result = try await body(client)
            try await httpClient.shutdown()
            return result
        } catch {
            try? await httpClient.shutdown()
            throw error
        }
    }

    /// RFC 7638 thumbprint computed here, independently of the client's JWK code.
    static func thumbprint(of key: P256.Signing.PrivateKey) throws -> String {
        let raw = Array(key.publicKey.rawRepresentation)
        func base64url(_ bytes: some Sequence<UInt8>) -> String {
            Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        let jwk: [String: String] = ["kty": "EC", "crv": "P-256", "x": base64url(raw[0..<32]), "y": base64url(raw[32..<64])]
        let json = try JSONSerialization.data(withJSONObject: jwk, options: [.sortedKeys, .withoutEscapingSlashes])
        return base64url(SHA256.hash(data: json))
    }

    /// Validates `chain` (leaf first) up to `rootPEM` with swift-certificates' RFC 5280 verifier.
    static func verify(_ chain: [Certificate], rootPEM: String) async throws -> [Certificate] {
        let root = try Certificate(pemEncoded: rootPEM)
        var verifier = Verifier(rootCertificates: CertificateStore([root])) { RFC5280Policy() }
        let result = await verifier.validate(leaf: chain[0], intermediates: CertificateStore(chain.dropFirst()))
        guard case .validCertificate(let validated) = result else {
            Issue.record("the chain does not verify up to pebble's root: \(result)")
            return []
        }
        return Array(validated)
    }

    static func dnsNames(of certificate: Certificate) throws -> Set<String> {
        let names = try #require(try certificate.extensions.subjectAlternativeNames)
        return Set(names.compactMap { if case .dnsName(let name) = $0 { name } else { nil } })
    }

    @Test func issuesAVerifiableCertificateForTwoNamesAndRenewsIt() async throws {
        try await PebbleServer.withRunning { pebble in
            let accountKey = P256.Signing.PrivateKey()
            let names = ["app.example.com", "www.app.example.com"]
            let responder = RecordingResponder()
            let (first, second) = try await Self.withClient(pebble, accountKey: accountKey) { client in
                let firstKey = P256.Signing.PrivateKey()
                let first = try await client.issueCertificate(for: names, certificateKey: firstKey, responder: responder)
                #expect(first.leaf.publicKey == Certificate.PublicKey(firstKey.publicKey))
                let second = try await client.issueCertificate(for: names, certificateKey: P256.Signing.PrivateKey(), responder: responder)
                return (first, second)
            }
            let root = try await pebble.issuingRootPEM()
            for issued in [first, second] {
                #expect(issued.certificates.count >= 2, "leaf and pebble's intermediate")
                #expect(try Self.dnsNames(of: issued.leaf) == Set(names))
                #expect(issued.notBefore <= Date() && Date() < issued.notAfter)
                #expect(issued.chainPEM.contains("-----BEGIN CERTIFICATE-----"))
                let validated = try await Self.verify(issued.certificates, rootPEM: root)
                #expect(validated.last == (try Certificate(pemEncoded: root)))
            }
            #expect(first.leaf.serialNumber != second.leaf.serialNumber, "a renewal is a new certificate")

            // Each authorization that needed a challenge published its answer (served at once by the store) and withdrew it.
            let thumbprint = try Self.thumbprint(of: accountKey)
            let events = responder.events
            let published = events.compactMap { event -> (String, String, String?)? in
                if case .published(let token, let keyAuthorization, let served) = event { (token, keyAuthorization, served) } else { nil }
            }
            let withdrawn = events.compactMap { event -> (String, String?)? in
                if case .withdrawn(let token, let served) = event { (token, served) } else { nil }
            }
            // Pebble may hand the renewal an authorization that is still valid (it did once under load, despite
            // PEBBLE_AUTHZREUSE=0): then that one needs no new challenge.
            #expect((2...4).contains(published.count), "\(published.count) answers published")
            for (token, keyAuthorization, served) in published {
                #expect(keyAuthorization == token + "." + thumbprint)
                #expect(served == keyAuthorization)
            }
            #expect(Set(withdrawn.map(\.0)) == Set(published.map(\.0)))
            #expect(withdrawn.allSatisfy { $0.1 == nil })
            #expect(responder.store.publishedTokens.isEmpty)
        }
    }

    @Test func registeringTheSameKeyTwiceFindsTheSameAccount() async throws {
        try await PebbleServer.withRunning { pebble in
            let key = P256.Signing.PrivateKey()
            let first = try await Self.withClient(pebble, accountKey: key) { try await $0.registerAccount() }
            let second = try await Self.withClient(pebble, accountKey: key) { try await $0.registerAccount() }
            let other = try await Self.withClient(pebble) { try await $0.registerAccount() }
            #expect(first == second)
            #expect(first != other)
            #expect(first.hasPrefix("https://127.0.0.1:"))
        }
    }

    @Test func aNameThePebbleRefusesCarriesItsProblemDocument() async throws {
        try await PebbleServer.withRunning { pebble in
            let responder = RecordingResponder()
            let error = try await Self.withClient(pebble) { client in
                await #expect(throws: ACMEError.self) {
                    try await client.issueCertificate(for: ["127.0.0.1"], certificateKey: P256.Signing.PrivateKey(), responder: responder)
                }
            }
            let refusal = try #require(error)
            #expect(refusal.kind == .serverProblem)
            let problem = try #require(refusal.problem)
            #expect(problem.type.hasPrefix("urn:ietf:params:acme:error:"))
            let detail = try #require(problem.detail)
            #expect(detail.contains("127.0.0.1"))
            #expect(refusal.httpStatus.map { (400..<500).contains($0) } == true)
            #expect(refusal.url?.hasPrefix("https://127.0.0.1:") == true)
            #expect(refusal.description.contains(detail.trimmingCharacters(in: .whitespacesAndNewlines)))
            #expect(responder.events.isEmpty, "nothing to publish for a refused order")
        }
    }

    @Test func aFailedValidationCarriesTheChallengesProblemAndWithdrawsTheAnswer() async throws {
        // Real validation this time, with pebble's resolver pointed at a closed port: the lookup of the
        // name fails, so the authorization becomes invalid with pebble's explanation.
        let deadResolver = try PebbleServer.freePorts(1)[0]
        try await PebbleServer.withRunning(
            environment: ["PEBBLE_VA_ALWAYS_VALID": "0"], arguments: ["-dnsserver", "127.0.0.1:\(deadResolver)"]
        ) { pebble in
            let responder = RecordingResponder()
            let error = try await Self.withClient(pebble) { client in
                await #expect(throws: ACMEError.self) {
                    try await client.issueCertificate(for: ["app.example.com"], certificateKey: P256.Signing.PrivateKey(), responder: responder)
                }
            }
            let failure = try #require(error)
            #expect(failure.kind == .authorizationFailed, "\(failure)")
            let problem = try #require(failure.problem, "the challenge's error is passed on")
            #expect(problem.type.hasPrefix("urn:ietf:params:acme:error:"))
            #expect(failure.description.contains("app.example.com"))
            #expect(responder.publishedTokens.count == 1)
            #expect(responder.withdrawnTokens == responder.publishedTokens, "withdrawn after the failure too")
            #expect(responder.store.publishedTokens.isEmpty)
        }
    }

    @Test func aServerThatDisappearsMidIssuanceIsReportedAndTheAnswerWithdrawn() async throws {
        try await PebbleServer.withRunning { pebble in
            // The CA goes away right after the first answer is published. The client's next connection then waits
            // out the connect timeout, so it is short; but it covers the TLS handshake too, which took over 500 ms
            // on a loaded machine (the first directory fetch failed), hence 2 s.
            let responder = RecordingResponder(afterPublishing: { await pebble.stop() })
            let error = try await Self.withClient(pebble, connectTimeout: .seconds(2)) { client in
                await #expect(throws: ACMEError.self) {
                    try await client.issueCertificate(for: ["app.example.com"], certificateKey: P256.Signing.PrivateKey(), responder: responder)
                }
            }
            #expect(error?.kind == .requestFailed, "\(error.map { "\($0)" } ?? "")")
            #expect(error?.url?.hasPrefix("https://127.0.0.1:") == true)
            #expect(responder.publishedTokens.count == 1)
            #expect(responder.withdrawnTokens == responder.publishedTokens)
        }
    }

    @Test func aRejectedNonceIsRetriedOnceAndThenReported() async throws {
        // pebble rejecting every nonce: the client must neither loop nor hide the server's verdict.
        try await PebbleServer.withRunning(environment: ["PEBBLE_WFE_NONCEREJECT": "100"]) { pebble in
            let error = try await Self.withClient(pebble) { client in
                await #expect(throws: ACMEError.self) { try await client.registerAccount() }
            }
            let refusal = try #require(error)
            #expect(refusal.kind == .serverProblem)
            #expect(refusal.problem?.type == "urn:ietf:params:acme:error:badNonce")
        }
    }

    @Test func anUnreachableDirectoryIsATypedError() async throws {
        let port = try PebbleServer.freePorts(1)[0]  // closed again: nothing listens there
        let httpClient = try ACMEClient.makeHTTPClient(connectTimeout: .milliseconds(500))
        let client = ACMEClient(directoryURL: "https://127.0.0.1:\(port)/dir", accountKey: P256.Signing.PrivateKey(), contact: [],
                                httpClient: httpClient, logger: Self.logger, polling: Self.polling)
        let error = await #expect(throws: ACMEError.self) {
            try await client.issueCertificate(for: ["app.example.com"], certificateKey: P256.Signing.PrivateKey(), responder: RecordingResponder())
        }
        try await httpClient.shutdown()
        #expect(error?.kind == .directoryUnreachable)
        #expect(error?.url == "https://127.0.0.1:\(port)/dir")
        #expect(error?.problem == nil)
    }

    @Test func aServerWithAnUntrustedCertificateIsUnreachable() async throws {
        try await PebbleServer.withRunning { pebble in
            // The system roots only: pebble's listener CA is unknown.
            let httpClient = try ACMEClient.makeHTTPClient(connectTimeout: .seconds(1))
            let client = ACMEClient(directoryURL: pebble.directoryURL, accountKey: P256.Signing.PrivateKey(), contact: [],
                                    httpClient: httpClient, logger: Self.logger, polling: Self.polling)
            let error = await #expect(throws: ACMEError.self) { try await client.registerAccount() }
            try await httpClient.shutdown()
            #expect(error?.kind == .directoryUnreachable)
        }
    }

    @Test func extraTrustRootsMustBeCertificates() {
        #expect(throws: ACMEError.self) { try ACMEClient.makeHTTPClient(additionalTrustRootsPEM: "not a certificate") }
    }

    @Test func theKeyAuthorizationIsTokenDotThumbprint() throws {
        let key = P256.Signing.PrivateKey()
        let httpClient = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup)
        defer { try? httpClient.syncShutdown() }
        let client = ACMEClient(directoryURL: "https://127.0.0.1:1/dir", accountKey: key, contact: [], httpClient: httpClient, logger: Self.logger)
        let thumbprint = try Self.thumbprint(of: key)
        #expect(client.accountKeyThumbprint == thumbprint)
        #expect(client.keyAuthorization(forToken: "abc_-123") == "abc_-123." + thumbprint)
        #expect(!thumbprint.contains("=") && !thumbprint.contains("+") && !thumbprint.contains("/"))
    }

    @Test func theCSRListsEveryNameAndIsSignedByTheCertificateKey() throws {
        let key = P256.Signing.PrivateKey()
        let names = ["a.example.com", "b.example.com", "c.example.com"]
        let der = try ACMEClient.certificateSigningRequest(for: names, key: key)
        let csr = try CertificateSigningRequest(derEncoded: der)
        #expect(csr.publicKey == Certificate.PublicKey(key.publicKey))
        let requested = try #require(try csr.attributes.extensionRequest)
        let sans = try #require(try requested.extensions.subjectAlternativeNames)
        #expect(Set(sans.compactMap { if case .dnsName(let name) = $0 { name } else { nil } }) == Set(names))
        #expect(csr.subject.description.contains("a.example.com"))
        #expect(csr.publicKey.isValidSignature(csr.signature, for: csr))
    }
}
