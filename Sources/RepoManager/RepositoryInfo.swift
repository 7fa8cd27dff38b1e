/// What the repo manager knows about one project's bare repository.
public struct RepositoryInfo: Sendable, Equatable {
    /// One local branch and the commit it points at.
    public struct Branch: Sendable, Equatable {
        /// The short name, e.g. `main` (not `refs/heads/main`).
        public var name: String
        /// The 40-digit hex id of the commit.
        public var commit: String

        /// - Parameters:
        ///   - name: The short branch name.
        ///   - commit: The hex commit id.
        public init(name: String, commit: String) {
            self.name = name
            self.commit = commit
        }
    }

    /// The project's UUID, lower case.
    public var projectID: String
    /// The repository directory, `<repositories>/<project-uuid>.git`.
    public var path: String
    /// The branch HEAD names (whose pushes deploy), e.g. `main`; it may have no commit yet.
    public var defaultBranch: String
    /// Local branches sorted by name; empty until the first push.
    public var branches: [Branch]
    /// Disk space the repository uses (allocated blocks, as `du` counts them), in bytes.
    public var sizeBytes: UInt64

    /// - Parameters: see the properties.
    public init(projectID: String, path: String, defaultBranch: String, branches: [Branch], sizeBytes: UInt64) {
        self.projectID = projectID
        self.path = path
        self.defaultBranch = defaultBranch
        self.branches = branches
        self.sizeBytes = sizeBytes
    }
}
