/// The rules a new password must follow.
public enum PasswordPolicy {
    /// Fewest UTF-8 bytes a password may have.
    public static let minimumLength = 10
    /// Most UTF-8 bytes a password may have (hashing cost grows with length).
    public static let maximumLength = 256

    /// Throws ``PasswordPolicyError`` when `password` is too short or too long.
    public static func validate(_ password: String) throws {
        let length = password.utf8.count
        if length < minimumLength {
            throw PasswordPolicyError(
                description: "The password is too short: use at least \(minimumLength) characters "
                    + "(this one has \(length) bytes). A few unrelated words make a good password."
            )
        }
        if length > maximumLength {
            throw PasswordPolicyError(
                description: "The password is too long: use at most \(maximumLength) bytes (this one has \(length))."
            )
        }
    }
}

/// A new password does not follow ``PasswordPolicy``; the description can be shown to the user.
public struct PasswordPolicyError: Error, CustomStringConvertible, Equatable, Sendable {
    public let description: String
}
