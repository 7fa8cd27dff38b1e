import Crypto
import Foundation
import NIOSSL
import SwiftASN1
import X509

/// A certificate chain with its private key, checked to belong together: what is stored per host,
/// what the local CA issues and what a fallback is made of.
public struct CertificateBundle: Sendable {
    /// The chain, leaf first, as PEM.
    public let chainPEM: String
    /// The leaf's private key (PKCS#8 PEM, P-256).
    public let privateKeyPEM: String
    /// The parsed chain, leaf first (never empty).
    public let certificates: [Certificate]

    /// The leaf certificate.
    public var leaf: Certificate { certificates[0] }
    /// Start of the leaf's validity.
    public var notBefore: Date { leaf.notValidBefore }
    /// End of the leaf's validity.
    public var notAfter: Date { leaf.notValidAfter }

    /// Parses and checks a chain and its key.
    /// - Throws: ``EdgeCertificateError`` `.unreadable` when either does not parse, the chain is empty, or
    ///   the key is not the leaf's.
    public init(chainPEM: String, privateKeyPEM: String) throws(EdgeCertificateError) {
        let operation = "read a certificate chain and its key"
        let certificates: [Certificate]
        do {
            certificates = try PEMDocument.parseMultiple(pemString: chainPEM)
                .filter { $0.discriminator == "CERTIFICATE" }
                .map { try Certificate(derEncoded: $0.derBytes) }
        } catch {
            throw EdgeCertificateError(.unreadable, operation: operation, reason: "the chain is not PEM certificates: \(error)")
        }
        guard let leaf = certificates.first else {
            throw EdgeCertificateError(.unreadable, operation: operation, reason: "the chain holds no certificate")
        }
        let key: P256.Signing.PrivateKey
        do {
            key = try P256.Signing.PrivateKey(pemRepresentation: privateKeyPEM)
        } catch {
            throw EdgeCertificateError(.unreadable, operation: operation, reason: "the key is not a PEM P-256 private key: \(error)")
        }
        guard Certificate.PublicKey(key.publicKey) == leaf.publicKey else {
            throw EdgeCertificateError(.unreadable, operation: operation, reason: "the key does not belong to the leaf certificate")
        }
        self.chainPEM = chainPEM
        self.privateKeyPEM = privateKeyPEM
        self.certificates = certificates
    }

    /// Builds a bundle from certificates and a key made in this process.
    init(certificates: [Certificate], privateKey: P256.Signing.PrivateKey) throws(EdgeCertificateError) {
        let pem: String
        do {
            pem = try certificates.map { try $0.serializeAsPEM().pemString }.joined(separator: "\n") + "\n"
        } catch {
            throw EdgeCertificateError(.generation, operation: "encode a certificate as PEM", reason: "\(error)")
        }
        try self.init(chainPEM: pem, privateKeyPEM: privateKey.pemRepresentation)
    }

    /// The DNS names in the leaf's subjectAltName extension.
    public var dnsNames: [String] {
        guard let names = try? leaf.extensions.subjectAlternativeNames else { return [] }
        return names.compactMap { name in
            if case .dnsName(let dns) = name { return dns }
            return nil
        }
    }

    /// The chain and key as NIOSSL objects, parsed once so a TLS handshake only picks them.
    func served(source: ServedCertificate.Source) throws(EdgeCertificateError) -> ServedCertificate {
        do {
            let chain = try NIOSSLCertificate.fromPEMBytes(Array(chainPEM.utf8))
            let key = try NIOSSLPrivateKey(bytes: Array(privateKeyPEM.utf8), format: .pem)
            return ServedCertificate(chain: chain, privateKey: key, source: source,
                                     notBefore: notBefore, notAfter: notAfter, serialNumber: "\(leaf.serialNumber)")
        } catch {
            throw EdgeCertificateError(.unreadable, operation: "load a certificate into BoringSSL", reason: "\(error)")
        }
    }
}
