import CSSH
import Foundation
import Glibc
import Systemd

/// The server's SSH host keys: ed25519 and rsa (3072 bits), generated into their directory (mode 0700,
/// keys 0600) on first start and loaded afterwards. A key that exists is never regenerated, even when it
/// cannot be read: clients pin host keys in `known_hosts`, and a silent new key would look like an attack.
struct HostKeys: Sendable {
    /// One kind of host key and the file it lives in (OpenSSH's names, so operators recognise them).
    struct Kind: Sendable {
        let name: String
        let fileName: String
        let type: ssh_keytypes_e
        /// Key size for ssh_pki_generate; 0 means the type's only size.
        let bits: Int32
    }

    static let kinds = [
        Kind(name: "ed25519", fileName: "ssh_host_ed25519_key", type: SSH_KEYTYPE_ED25519, bits: 0),
        Kind(name: "rsa", fileName: "ssh_host_rsa_key", type: SSH_KEYTYPE_RSA, bits: 3072),
    ]

    /// The private key files, in ``kinds`` order.
    let paths: [String]
    /// `SHA256:...` of each key, in ``kinds`` order, as `ssh-keygen -lf` and clients print them.
    let fingerprints: [String]

    /// Loads the keys under `directory`, generating the missing ones first.
    static func loadOrGenerate(directory: String) throws(GitServerError) -> HostKeys {
        try prepareDirectory(directory)
        var paths: [String] = []
        var fingerprints: [String] = []
        for kind in kinds {
            let path = directory + "/" + kind.fileName
            if access(path, F_OK) != 0 {
                try generate(kind, at: path)
            }
            fingerprints.append(try fingerprint(of: kind, at: path))
            paths.append(path)
        }
        return HostKeys(paths: paths, fingerprints: fingerprints)
    }

    /// Creates the directory (and its parents) and makes it 0700: the keys are the server's identity.
    private static func prepareDirectory(_ directory: String) throws(GitServerError) {
        let parent = (directory as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        } catch {
            throw GitServerError(operation: "create \(parent)", reason: "\(error)", hint: "check [paths] state_dir and its permissions")
        }
        do {
            if mkdir(directory, 0o700) != 0 && errno != EEXIST {
                throw SystemCallError(operation: "mkdir(\(directory))", errno: errno)
            }
            try SystemCall.retryingInterrupts("chmod(\(directory), 0700)") { chmod(directory, 0o700) }
        } catch {
            throw GitServerError(operation: "prepare the host key directory \(directory)", reason: "\(error)",
                                 hint: "the directory must belong to the user paastech gitd runs as")
        }
    }

    /// Writes a new key to a temporary file, makes it 0600 and renames it into place, so that a crash never
    /// leaves a truncated key that a later start would refuse to replace.
    private static func generate(_ kind: Kind, at path: String) throws(GitServerError) {
        let operation = "generate the \(kind.name) host key \(path)"
        var key: ssh_key?
        guard ssh_pki_generate(kind.type, kind.bits, &key) == SSH_OK, let key else {
            throw GitServerError(operation: operation, reason: "ssh_pki_generate failed")
        }
        defer { ssh_key_free(key) }
        let temporary = path + ".new"
        unlink(temporary)
        guard ssh_pki_export_privkey_file(key, nil, nil, nil, temporary) == SSH_OK else {
            unlink(temporary)
            throw GitServerError(operation: operation, reason: "ssh_pki_export_privkey_file(\(temporary)) failed",
                                 hint: "check that the directory is writable")
        }
        do {
            try SystemCall.retryingInterrupts("chmod(\(temporary), 0600)") { chmod(temporary, 0o600) }
            try SystemCall.retryingInterrupts("rename(\(temporary), \(path))") { rename(temporary, path) }
        } catch {
            unlink(temporary)
            throw GitServerError(operation: operation, reason: "\(error)")
        }
    }

    private static func fingerprint(of kind: Kind, at path: String) throws(GitServerError) -> String {
        var key: ssh_key?
        guard ssh_pki_import_privkey_file(path, nil, nil, nil, &key) == SSH_OK, let key else {
            throw GitServerError(operation: "load the \(kind.name) host key \(path)", reason: "the file is not a readable private key",
                                 hint: "restore it from a backup, or delete it to generate a new one (clients will then warn about a changed host key)")
        }
        defer { ssh_key_free(key) }
        guard ssh_key_type(key) == kind.type, let publicKey = LibSSH.publicKey(key) else {
            throw GitServerError(operation: "load the \(kind.name) host key \(path)", reason: "the file holds a different kind of key",
                                 hint: "move it away to generate a new \(kind.name) key")
        }
        return publicKey.fingerprint
    }
}
