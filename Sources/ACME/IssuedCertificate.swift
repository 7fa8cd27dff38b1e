import Foundation
import X509

/// A certificate chain an ACME server issued: the leaf first, then the intermediates.
public struct IssuedCertificate: Sendable {
    /// The chain as the server sent it (`application/pem-certificate-chain`).
    public let chainPEM: String
    /// The parsed chain, leaf first.
    public let certificates: [Certificate]

    /// The leaf certificate.
    public var leaf: Certificate { certificates[0] }
    /// Start of the leaf's validity.
    public var notBefore: Date { leaf.notValidBefore }
    /// End of the leaf's validity.
    public var notAfter: Date { leaf.notValidAfter }

    /// - Precondition: `certificates` is not empty (``ACMEClient`` never returns an empty chain).
    init(chainPEM: String, certificates: [Certificate]) {
        precondition(!certificates.isEmpty, "a certificate chain has a leaf")
        self.chainPEM = chainPEM
        self.certificates = certificates
    }
}
