/// What a release row shows of the commit it was built from.
public struct CommitSummary: Sendable, Equatable {
    /// The 40-digit hex commit id.
    public var id: String
    /// The shortest unambiguous abbreviation of `id` in its repository (at least 7 digits).
    public var shortID: String
    /// The first paragraph of the message on one line (`git log --format=%s`).
    public var subject: String
    /// The author as `Name <email>` (`git log --format='%an <%ae>'`).
    public var author: String

    /// - Parameters: see the properties.
    public init(id: String, shortID: String, subject: String, author: String) {
        self.id = id
        self.shortID = shortID
        self.subject = subject
        self.author = author
    }
}
