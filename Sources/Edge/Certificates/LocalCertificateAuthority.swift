import Crypto
import Foundation
import SwiftASN1
import X509

/// The development CA (what Caddy calls `tls internal`): made once and kept in the store directory
/// (`local-ca.pem`, `local-ca.key`), it signs short-lived leaf certificates for `*.localhost` apps.
/// Trust `local-ca.pem` in a browser or pass it to `curl --cacert` to get warning-free HTTPS in dev mode.
public struct LocalCertificateAuthority: Sendable {
    /// The CA's common name.
    public static let commonName = "PaaSTech Cloud local CA"
    /// How long the CA certificate lasts.
    public static let validity: TimeInterval = 10 * 365 * 86_400

    /// The CA certificate (self-signed root).
    public let certificate: Certificate
    /// The CA certificate as PEM, what clients should trust.
    public let certificatePEM: String
    private let privateKey: P256.Signing.PrivateKey

    /// `<directory>/local-ca.pem`.
    public static func certificatePath(in directory: String) -> String { directory + "/local-ca.pem" }
    /// `<directory>/local-ca.key`.
    public static func keyPath(in directory: String) -> String { directory + "/local-ca.key" }

    /// Loads the CA from `store`'s directory, creating and saving it on first use.
    public static func loadOrCreate(in store: CertificateStore, now: Date = Date()) throws(EdgeCertificateError) -> LocalCertificateAuthority {
        let certificatePath = certificatePath(in: store.directory)
        let keyPath = keyPath(in: store.directory)
        if let pem = try CertificateFiles.read(certificatePath), let key = try store.loadKey(at: keyPath) {
            let text = String(decoding: pem, as: UTF8.self)
            let certificate: Certificate
            do {
                certificate = try Certificate(pemEncoded: text)
            } catch {
                throw EdgeCertificateError(.unreadable, operation: "read the local CA \(certificatePath)", reason: "\(error)",
                                       hint: "move local-ca.pem and local-ca.key away to create a new local CA")
            }
            guard certificate.publicKey == Certificate.PublicKey(key.publicKey) else {
                throw EdgeCertificateError(.unreadable, operation: "read the local CA \(certificatePath)",
                                       reason: "local-ca.key is not the key of local-ca.pem",
                                       hint: "move local-ca.pem and local-ca.key away to create a new local CA")
            }
            return LocalCertificateAuthority(certificate: certificate, certificatePEM: text, privateKey: key)
        }
        let authority = try create(now: now)
        // Key first: a certificate without its key would be useless, a key without certificate is remade.
        try CertificateFiles.writeAtomically(Array(authority.privateKey.pemRepresentation.utf8), to: keyPath)
        try CertificateFiles.writeAtomically(Array(authority.certificatePEM.utf8), to: certificatePath)
        return authority
    }

    /// A new CA in memory.
    static func create(now: Date = Date()) throws(EdgeCertificateError) -> LocalCertificateAuthority {
        let key = P256.Signing.PrivateKey()
        do {
            let name = try DistinguishedName {
                OrganizationName("PaaSTech Cloud")
                CommonName(commonName)
            }
            let publicKey = Certificate.PublicKey(key.publicKey)
            let certificate = try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: publicKey,
                notValidBefore: now - 3600,
                notValidAfter: now + validity,
                issuer: name,
                subject: name,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                    Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                    SubjectKeyIdentifier(hash: publicKey)
                },
                issuerPrivateKey: Certificate.PrivateKey(key))
            return LocalCertificateAuthority(certificate: certificate, certificatePEM: try certificate.serializeAsPEM().pemString + "\n",
                                             privateKey: key)
        } catch {
            throw EdgeCertificateError(.generation, operation: "create the local CA", reason: "\(error)")
        }
    }

    private init(certificate: Certificate, certificatePEM: String, privateKey: P256.Signing.PrivateKey) {
        self.certificate = certificate
        self.certificatePEM = certificatePEM
        self.privateKey = privateKey
    }

    /// A new leaf certificate for `host` (SAN = the name, serverAuth), signed by this CA, with a fresh key.
    /// - Parameter validity: How long the leaf lasts; short, since it is renewed automatically.
    public func issue(for host: CertificateHostName, validity: TimeInterval = 7 * 86_400, now: Date = Date()) throws(EdgeCertificateError) -> CertificateBundle {
        let key = P256.Signing.PrivateKey()
        let certificate: Certificate
        do {
            let publicKey = Certificate.PublicKey(key.publicKey)
            certificate = try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: publicKey,
                // A little back-dating absorbs clock differences between the edge and its clients.
                notValidBefore: now - 300,
                // Never past the CA's own end.
                notValidAfter: min(now + validity, self.certificate.notValidAfter),
                issuer: self.certificate.subject,
                subject: try DistinguishedName { CommonName(host.value) },
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.notCertificateAuthority)
                    Critical(KeyUsage(digitalSignature: true))
                    try ExtendedKeyUsage([.serverAuth])
                    SubjectAlternativeNames([.dnsName(host.value)])
                    SubjectKeyIdentifier(hash: publicKey)
                    AuthorityKeyIdentifier(keyIdentifier: SubjectKeyIdentifier(hash: self.certificate.publicKey).keyIdentifier)
                },
                issuerPrivateKey: Certificate.PrivateKey(privateKey))
        } catch {
            throw EdgeCertificateError(.generation, operation: "issue a local certificate for \(host)", reason: "\(error)")
        }
        return try CertificateBundle(certificates: [certificate], privateKey: key)
    }
}
