extension InternalAPIClient {
    /// The enabled user who owns an SSH key (`GET /internal/v1/ssh-key-owner`).
    public struct KeyOwner: Sendable, Equatable, Decodable {
        /// The user's id.
        public let userID: Int64
        /// The user's name, as in git remotes (`username/project.git`).
        public let username: String
        /// Whether the user is an administrator.
        public let isAdmin: Bool
        /// The id of the key.
        public let keyID: Int64

        /// - Parameters:
        ///   - userID: The user's id.
        ///   - username: The user's name.
        ///   - isAdmin: Whether the user is an administrator.
        ///   - keyID: The key's id.
        public init(userID: Int64, username: String, isAdmin: Bool, keyID: Int64) {
            self.userID = userID
            self.username = username
            self.isAdmin = isAdmin
            self.keyID = keyID
        }

        enum CodingKeys: String, CodingKey {
            case userID = "user_id", username, isAdmin = "is_admin", keyID = "key_id"
        }
    }
}
