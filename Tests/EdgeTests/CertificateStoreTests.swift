import Crypto
import Foundation
import Glibc
import Systemd
import Testing
import X509

@testable import Edge

/// The files behind the certificate manager: layout, permissions, validation of names.
struct CertificateStoreTests {
    @Test func keysAndCertificatesAre0600AndDirectories0700() throws {
        let scratch = try CertificateTestDirectory()
        defer { scratch.remove() }
        let store = try Edge.CertificateStore(directory: scratch.path + "/state/edge")
        let host = try CertificateHostName("app.example.com")
        let accountKey = try store.loadOrCreateAccountKey()
        let bundle = try SelfSignedCertificate.make(for: host)
        try store.save(bundle, for: host)
        let authority = try LocalCertificateAuthority.loadOrCreate(in: store)

        #expect(CertificateTestDirectory.mode(of: store.directory) == 0o700)
        #expect(CertificateTestDirectory.mode(of: store.certificatesDirectory) == 0o700)
        for file in [store.accountKeyPath, store.chainPath(for: host), store.keyPath(for: host),
                     LocalCertificateAuthority.certificatePath(in: store.directory), LocalCertificateAuthority.keyPath(in: store.directory)] {
            #expect(CertificateTestDirectory.mode(of: file) == 0o600, "\(file)")
        }
        #expect(store.chainPath(for: host) == scratch.path + "/state/edge/certs/app.example.com.pem")
        #expect(store.keyPath(for: host) == scratch.path + "/state/edge/certs/app.example.com.key")
        // No staging leftovers.
        #expect(!FileManager.default.fileExists(atPath: store.chainPath(for: host) + ".new"))

        // Everything reads back as written.
        let reopened = try Edge.CertificateStore(directory: store.directory)
        #expect(try reopened.loadOrCreateAccountKey().rawRepresentation == accountKey.rawRepresentation)
        let loaded = try #require(try reopened.load(host))
        #expect(loaded.chainPEM == bundle.chainPEM)
        #expect(loaded.leaf == bundle.leaf)
        #expect(reopened.storedHosts() == [host])
        #expect(try LocalCertificateAuthority.loadOrCreate(in: reopened).certificate == authority.certificate)
        #expect(try reopened.load(CertificateHostName("other.example.com")) == nil)
    }

    @Test func anExistingDirectoryIsTightenedTo0700() throws {
        let scratch = try CertificateTestDirectory()
        defer { scratch.remove() }
        let directory = scratch.path + "/edge"
        #expect(mkdir(directory, 0o755) == 0)
        #expect(chmod(directory, 0o755) == 0)
        let store = try Edge.CertificateStore(directory: directory)
        #expect(CertificateTestDirectory.mode(of: store.directory) == 0o700)
    }

    @Test func aKeyThatIsNotTheCertificatesIsRefused() throws {
        let scratch = try CertificateTestDirectory()
        defer { scratch.remove() }
        let store = try Edge.CertificateStore(directory: scratch.path)
        let host = try CertificateHostName("app.example.com")
        try store.save(try SelfSignedCertificate.make(for: host), for: host)
        // A crash between the key and the chain write leaves a mismatched pair.
        let other = P256.Signing.PrivateKey()
        try other.pemRepresentation.write(toFile: store.keyPath(for: host), atomically: true, encoding: .utf8)
        let error = #expect(throws: EdgeCertificateError.self) { try store.load(host) }
        #expect(error?.kind == .unreadable)
    }

    @Test(arguments: ["app.example.com", "a-b.c.localhost", "x1.example", "xn--bcher-kva.example"])
    func acceptsLowerCaseDNSNames(_ name: String) throws {
        #expect(try CertificateHostName(name).value == name)
    }

    @Test(arguments: [
        "", "example", "App.example.com", "../etc.example", "a/b.example.com", "a..example.com", ".example.com",
        "example.com.", "*.example.com", "-a.example.com", "a-.example.com", "127.0.0.1", "a b.example.com",
        "a_b.example.com", "é.example.com", String(repeating: "a", count: 64) + ".example.com",
        String(repeating: "abcdefghi.", count: 26) + "com",
    ])
    func refusesEverythingElse(_ name: String) {
        let error = #expect(throws: EdgeCertificateError.self) { try CertificateHostName(name) }
        #expect(error?.kind == .invalidHostName)
    }

    @Test func serverNamesAreNormalisedBeforeValidation() {
        #expect(CertificateHostName(serverName: "App.Example.COM.")?.value == "app.example.com")
        #expect(CertificateHostName(serverName: "../x.example") == nil)
        #expect(CertificateHostName(serverName: "10.0.0.1") == nil)
    }
}
