import Foundation

extension InternalAPIClient {
    /// A project as the internal API describes it (`GET /internal/v1/projects/{owner}/{name}`).
    public struct Project: Sendable, Equatable, Decodable {
        /// The project's id; its bare repository is `<repositories>/<id, lower-case>.git`.
        public let id: UUID
        /// The project's name.
        public let name: String
        /// The owner's username.
        public let owner: String
        /// The branch whose pushes deploy.
        public let defaultBranch: String
        /// The remote users push to, `ssh://git@host/owner/name.git`.
        public let gitRemote: String

        /// - Parameters:
        ///   - id: The project's id.
        ///   - name: The project's name.
        ///   - owner: The owner's username.
        ///   - defaultBranch: The branch whose pushes deploy.
        ///   - gitRemote: The remote users push to.
        public init(id: UUID, name: String, owner: String, defaultBranch: String, gitRemote: String) {
            self.id = id
            self.name = name
            self.owner = owner
            self.defaultBranch = defaultBranch
            self.gitRemote = gitRemote
        }

        /// The id as the repository directory and `PAASTECH_PROJECT_ID` spell it: lower-case.
        public var idString: String { id.uuidString.lowercased() }

        enum CodingKeys: String, CodingKey {
            case id = "uuid", name, owner, defaultBranch = "default_branch", gitRemote = "git_remote"
        }
    }
}
