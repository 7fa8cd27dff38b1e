import Crypto
import Foundation
import X509

/// The self-signed stand-in the edge presents while a real certificate is pending, and for names it
/// does not route (so a scan of the IP address learns nothing about the hosted names).
public enum SelfSignedCertificate {
    /// The common name of every fallback certificate.
    public static let commonName = "paastech fallback"

    /// A fresh self-signed certificate and key: CN ``commonName``, and `host` as subjectAltName when given.
    public static func make(for host: CertificateHostName?, validity: TimeInterval = 365 * 86_400, now: Date = Date()) throws(EdgeCertificateError) -> CertificateBundle {
        let key = P256.Signing.PrivateKey()
        let certificate: Certificate
        do {
            let name = try DistinguishedName { CommonName(commonName) }
            let publicKey = Certificate.PublicKey(key.publicKey)
            certificate = try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: publicKey,
                notValidBefore: now - 300,
                notValidAfter: now + validity,
                issuer: name,
                subject: name,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.notCertificateAuthority)
                    Critical(KeyUsage(digitalSignature: true))
                    try ExtendedKeyUsage([.serverAuth])
                    if let host {
                        SubjectAlternativeNames([.dnsName(host.value)])
                    }
                },
                issuerPrivateKey: Certificate.PrivateKey(key))
        } catch {
            throw EdgeCertificateError(.generation, operation: "make a fallback certificate", reason: "\(error)")
        }
        return try CertificateBundle(certificates: [certificate], privateKey: key)
    }
}
