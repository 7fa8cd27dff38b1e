import Crypto
import Foundation
import Glibc

/// The edge's certificate files: the ACME account key and one chain + key per host name.
///
/// ```
/// <directory>/               0700
///   account.key              0600  the ACME account (P-256, PKCS#8 PEM)
///   local-ca.pem, local-ca.key     the development CA (``LocalCertificateAuthority``)
///   certs/                   0700
///     <host>.pem             0600  chain, leaf first
///     <host>.key             0600  the leaf's key
/// ```
/// Every file is replaced atomically (write, fsync, rename), so a crash leaves the old or the new
/// version, never half of one; a chain and key that do not match (a crash between the two writes) are
/// refused as unreadable, and ``CertificateManager`` then issues the certificate again. Host names are
/// validated by ``CertificateHostName`` before they become file names.
public struct CertificateStore: Sendable {
    /// Where a production edge keeps its certificates.
    public static let productionDirectory = "/var/lib/paastech/edge"

    /// The store's root directory.
    public let directory: String
    /// `<directory>/certs`.
    public var certificatesDirectory: String { directory + "/certs" }
    /// `<directory>/account.key`.
    public var accountKeyPath: String { directory + "/account.key" }

    /// Opens the store, creating the directories (0700) when needed.
    /// - Parameter directory: ``productionDirectory``, or `PlatformConfiguration.Paths.edgeDirectory`
    ///   (under the state directory) in dev mode.
    public init(directory: String) throws(EdgeCertificateError) {
        var root = directory
        while root.count > 1 && root.hasSuffix("/") { root.removeLast() }
        self.directory = root
        try Self.makeParents(of: root)
        try CertificateFiles.makePrivateDirectory(root)
        try CertificateFiles.makePrivateDirectory(certificatesDirectory)
    }

    /// The chain file of `host`.
    public func chainPath(for host: CertificateHostName) -> String { certificatesDirectory + "/" + host.value + ".pem" }
    /// The key file of `host`.
    public func keyPath(for host: CertificateHostName) -> String { certificatesDirectory + "/" + host.value + ".key" }

    /// The ACME account key, generated and saved on first use.
    public func loadOrCreateAccountKey() throws(EdgeCertificateError) -> P256.Signing.PrivateKey {
        if let existing = try loadKey(at: accountKeyPath) { return existing }
        let key = P256.Signing.PrivateKey()
        try CertificateFiles.writeAtomically(Array(key.pemRepresentation.utf8), to: accountKeyPath)
        return key
    }

    /// The stored certificate of `host`, or nil when there is none (or only a mismatched pair).
    /// - Throws: ``EdgeCertificateError`` when a file exists but cannot be read.
    public func load(_ host: CertificateHostName) throws(EdgeCertificateError) -> CertificateBundle? {
        guard let chain = try CertificateFiles.read(chainPath(for: host)),
              let key = try CertificateFiles.read(keyPath(for: host))
        else { return nil }
        return try CertificateBundle(chainPEM: String(decoding: chain, as: UTF8.self),
                                     privateKeyPEM: String(decoding: key, as: UTF8.self))
    }

    /// Stores `bundle` as the certificate of `host` (key first, then chain, each atomically).
    public func save(_ bundle: CertificateBundle, for host: CertificateHostName) throws(EdgeCertificateError) {
        try CertificateFiles.writeAtomically(Array(bundle.privateKeyPEM.utf8), to: keyPath(for: host))
        try CertificateFiles.writeAtomically(Array(bundle.chainPEM.utf8), to: chainPath(for: host))
    }

    /// Deletes the certificate and key of `host` (missing files are fine).
    public func remove(_ host: CertificateHostName) {
        unlink(chainPath(for: host))
        unlink(keyPath(for: host))
    }

    /// The hosts with a chain file, in name order. Files whose names are not valid host names are ignored.
    public func storedHosts() -> [CertificateHostName] {
        CertificateFiles.entries(of: certificatesDirectory)
            .filter { $0.hasSuffix(".pem") }
            .compactMap { try? CertificateHostName(String($0.dropLast(4))) }
            .sorted { $0.value < $1.value }
    }

    /// Reads a P-256 key; nil when the file does not exist.
    func loadKey(at path: String) throws(EdgeCertificateError) -> P256.Signing.PrivateKey? {
        guard let bytes = try CertificateFiles.read(path) else { return nil }
        do {
            return try P256.Signing.PrivateKey(pemRepresentation: String(decoding: bytes, as: UTF8.self))
        } catch {
            throw EdgeCertificateError(.unreadable, operation: "read the key \(path)", reason: "not a PEM P-256 private key: \(error)",
                                   hint: "restore it from a backup, or move it away to start afresh")
        }
    }

    /// Creates the missing parents of `path` (ordinary permissions: only the leaf directory is private).
    private static func makeParents(of path: String) throws(EdgeCertificateError) {
        let parent = (path as NSString).deletingLastPathComponent
        guard !parent.isEmpty, parent != "/" else { return }
        do {
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        } catch {
            throw EdgeCertificateError(.storage, operation: "create \(parent)", reason: "\(error)",
                                   hint: "check [paths] state_dir and its permissions")
        }
    }
}
