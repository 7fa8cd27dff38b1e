import Crypto
import Foundation
import NIOSSL
import Systemd
import Testing
import X509

@testable import Edge

/// The local development CA and the self-signed fallback.
struct CertificateAuthorityTests {
    @Test func theLocalCAIsAPersistentTenYearCA() throws {
        let scratch = try CertificateTestDirectory()
        defer { scratch.remove() }
        let store = try Edge.CertificateStore(directory: scratch.path)
        let authority = try LocalCertificateAuthority.loadOrCreate(in: store)
        let ca = authority.certificate
        #expect(ca.subject.description.contains("CN=PaaSTech Cloud local CA"))
        #expect(ca.issuer == ca.subject)
        #expect(try ca.extensions.basicConstraints == .isCertificateAuthority(maxPathLength: 0))
        #expect(try ca.extensions.keyUsage?.keyCertSign == true)
        let years = ca.notValidAfter.timeIntervalSince(ca.notValidBefore) / (365 * 86_400)
        #expect(years > 9.9 && years < 10.1)
        #expect(ca.publicKey.isValidSignature(ca.signature, for: ca))
        // Made once: a second start finds the same CA.
        #expect(try LocalCertificateAuthority.loadOrCreate(in: store).certificate == ca)
    }

    @Test func theLocalCAIssuesLeavesThatVerifyAgainstIt() async throws {
        let scratch = try CertificateTestDirectory()
        defer { scratch.remove() }
        let store = try Edge.CertificateStore(directory: scratch.path)
        let authority = try LocalCertificateAuthority.loadOrCreate(in: store)
        let host = try CertificateHostName("shop.localhost")
        let leaf = try authority.issue(for: host)

        #expect(leaf.dnsNames == ["shop.localhost"])
        #expect(try leaf.leaf.extensions.extendedKeyUsage?.contains(.serverAuth) == true)
        #expect(try leaf.leaf.extensions.basicConstraints == .notCertificateAuthority)
        // Seven days from issuance (certificate times have whole seconds).
        let days = leaf.notAfter.timeIntervalSince(Date()) / 86_400
        #expect(abs(days - 7) < 0.01, "\(days) days")

        var verifier = Verifier(rootCertificates: X509.CertificateStore([authority.certificate])) {
            RFC5280Policy()
            ServerIdentityPolicy(serverHostname: "shop.localhost", serverIP: nil)
        }
        let result = await verifier.validate(leaf: leaf.leaf, intermediates: X509.CertificateStore())
        guard case .validCertificate = result else {
            Issue.record("the leaf does not verify against the local CA: \(result)")
            return
        }

        // And OpenSSL agrees, for the same purpose and name a browser checks.
        try authority.certificatePEM.write(toFile: scratch.path + "/ca.pem", atomically: true, encoding: .utf8)
        try leaf.chainPEM.write(toFile: scratch.path + "/leaf.pem", atomically: true, encoding: .utf8)
        let openssl = try await ProgramRun(
            "/usr/bin/openssl",
            ["verify", "-CAfile", scratch.path + "/ca.pem", "-purpose", "sslserver", "-verify_hostname", "shop.localhost", scratch.path + "/leaf.pem"],
            environment: ["PATH": "/usr/bin:/bin"], timeout: .seconds(30)
        ).run()
        #expect(openssl.exitCode == 0, "\(openssl)")
    }

    @Test func theFallbackIsSelfSignedAndNamesOnlyItsHost() throws {
        let named = try SelfSignedCertificate.make(for: CertificateHostName("app.example.com"))
        #expect(named.leaf.subject.description.contains("CN=paastech fallback"))
        #expect(named.leaf.issuer == named.leaf.subject)
        #expect(named.dnsNames == ["app.example.com"])
        let generic = try SelfSignedCertificate.make(for: nil)
        #expect(generic.dnsNames.isEmpty)
        #expect(generic.leaf.subject.description.contains("CN=paastech fallback"))
    }
}
