import Foundation
import NIOSSL

/// What the TLS listener presents for one handshake: a chain and its key, ready for NIOSSL.
public struct ServedCertificate: Sendable {
    /// Where a served certificate came from.
    public enum Source: String, Sendable, Hashable {
        /// Issued by the ACME CA.
        case acme
        /// Issued by the local development CA.
        case localAuthority
        /// The self-signed stand-in for unknown names and for names still waiting for a certificate.
        case fallback
    }

    /// Leaf first.
    public let chain: [NIOSSLCertificate]
    public let privateKey: NIOSSLPrivateKey
    public let source: Source
    /// Start of the leaf's validity.
    public let notBefore: Date
    /// End of the leaf's validity.
    public let notAfter: Date
    /// The leaf's serial number, as swift-certificates prints it (for logs and tests).
    public let serialNumber: String

    /// Whether this is a self-signed stand-in rather than an issued certificate.
    public var isFallback: Bool { source == .fallback }

    /// The override an `NIOSSLContextCallback` hands back to NIOSSL for this handshake.
    public var configurationOverride: NIOSSLContextConfigurationOverride {
        var override = NIOSSLContextConfigurationOverride()
        override.certificateChain = chain.map { .certificate($0) }
        override.privateKey = .privateKey(privateKey)
        return override
    }
}
