import CSSH
import Credentials
import Glibc

/// Small helpers around libssh calls, so that the server code reads as SSH, not as C.
enum LibSSH {
    /// Initialises libssh once per process (it is reference-counted and idempotent).
    static let initialised: Bool = ssh_init() == SSH_OK

    /// libssh's last error on a session or bind, as text.
    static func lastError(_ object: OpaquePointer?) -> String {
        guard let object, let message = ssh_get_error(UnsafeMutableRawPointer(object)) else { return "unknown libssh error" }
        let text = String(cString: message)
        return text.isEmpty ? "unknown libssh error" : text
    }

    /// The key as an `authorized_keys` line (`ssh-ed25519 AAAA...`), parsed and checked by Credentials.
    /// Nil for key types the platform does not accept (certificates, DSA, small RSA, security keys).
    static func publicKey(_ key: OpaquePointer) -> SSHPublicKey? {
        guard let typeName = ssh_key_type_to_char(ssh_key_type(key)) else { return nil }
        var base64: UnsafeMutablePointer<CChar>?
        guard ssh_pki_export_pubkey_base64(key, &base64) == SSH_OK, let base64 else { return nil }
        defer { ssh_string_free_char(base64) }
        return try? SSHPublicKey(authorizedKeysLine: "\(String(cString: typeName)) \(String(cString: base64))")
    }
}
