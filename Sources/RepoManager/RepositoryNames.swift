import CGit2
import Foundation

/// Validation of the names that end up in paths and refs: every entry point goes through it.
enum RepositoryNames {
    /// The branch a repository gets when the request names none.
    static let defaultBranch = "main"

    /// The canonical (lower-case) form of a project UUID. Anything else (`../x`, `a/b`, an empty string)
    /// is refused, since the id names a directory.
    static func projectID(_ text: String) throws -> String {
        guard text.utf8.count == 36, let uuid = UUID(uuidString: text) else { throw RepositoryError.invalidProjectID(text) }
        return uuid.uuidString.lowercased()
    }

    /// A valid branch name (`""` means ``defaultBranch``), checked with libgit2's own ref-name rules.
    /// Names starting with `-` are refused too, as git's command line would read them as options.
    static func branch(_ name: String) throws -> String {
        if name.isEmpty { return defaultBranch }
        try Git.initialize()
        guard !name.hasPrefix("-"), !name.hasPrefix("refs/"), name != "HEAD" else { throw RepositoryError.invalidBranchName(name) }
        var valid: Int32 = 0
        try Git.check(git_reference_name_is_valid(&valid, "refs/heads/" + name), "check the branch name \"\(name)\"")
        guard valid == 1 else { throw RepositoryError.invalidBranchName(name) }
        return name
    }
}
