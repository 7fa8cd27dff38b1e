import Credentials
import Foundation

/// Account operations of the command line (`paastech admin`, `paastech dev`, the package's postinst).
public struct AdminAccounts: Sendable {
    let store: PlatformStore
    let passwords = PasswordHasher()

    public init(store: PlatformStore) {
        self.store = store
    }

    /// A random password that is easy to copy: 24 characters of base64url (144 bits).
    public static func generatePassword() -> String {
        String(SecretToken.generate(prefix: "").prefix(24))
    }

    /// Creates a verified user; the caller prints the password once.
    public func createUser(username: String, email: String, password: String, isAdmin: Bool) async throws -> User {
        try await store.createUser(username: username, email: email, passwordHash: try await passwords.hash(password),
                                   isAdmin: isAdmin, emailVerified: true)
    }

    /// Creates the administrator, or resets its password and admin flag if it already exists.
    public func ensureAdmin(username: String, email: String, password: String) async throws {
        if let existing = try await store.user(username: username) {
            try await store.setPassword(userID: existing.id, passwordHash: try await passwords.hash(password))
            _ = try await store.updateUser(id: existing.id, isAdmin: true, disabled: false)
        } else {
            _ = try await createUser(username: username, email: email, password: password, isAdmin: true)
        }
    }
}
