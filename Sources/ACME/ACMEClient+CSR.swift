import Crypto
import SwiftASN1
import X509

extension ACMEClient {
    /// A PKCS#10 request (DER) for `hostnames`, signed by `key`: every name in the subjectAltName
    /// extension (what CAs use), the first one also as the common name when it fits (64 characters).
    static func certificateSigningRequest(for hostnames: [String], key: P256.Signing.PrivateKey) throws -> [UInt8] {
        let subject: DistinguishedName
        if let first = hostnames.first, first.utf8.count <= 64 {
            subject = try DistinguishedName { CommonName(first) }
        } else {
            subject = DistinguishedName()
        }
        let extensions = try Certificate.Extensions {
            SubjectAlternativeNames(hostnames.map { GeneralName.dnsName($0) })
        }
        let attributes = try CertificateSigningRequest.Attributes([
            CertificateSigningRequest.Attribute(ExtensionRequest(extensions: extensions))
        ])
        let request = try CertificateSigningRequest(
            version: .v1, subject: subject, privateKey: Certificate.PrivateKey(key),
            attributes: attributes, signatureAlgorithm: .ecdsaWithSHA256)
        var serializer = DER.Serializer()
        try serializer.serialize(request)
        return serializer.serializedBytes
    }

    /// Parses a `application/pem-certificate-chain` body, leaf first.
    static func parseChain(_ pem: String, url: String) throws -> [Certificate] {
        let certificates: [Certificate]
        do {
            certificates = try PEMDocument.parseMultiple(pemString: pem)
                .filter { $0.discriminator == "CERTIFICATE" }
                .map { try Certificate(derEncoded: $0.derBytes) }
        } catch {
            throw ACMEError(.unexpectedResponse, url: url, detail: "the certificate chain is not readable PEM: \(error)")
        }
        guard !certificates.isEmpty else {
            throw ACMEError(.unexpectedResponse, url: url, detail: "the certificate chain holds no certificate")
        }
        return certificates
    }
}
