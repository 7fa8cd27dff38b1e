/// A request the repository store or export refuses, or a repository in an unexpected state.
/// libgit2 failures are ``GitError``s and system call failures `SystemCallError`s (from `Systemd`).
public enum RepositoryError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The project id is not a UUID (`8-4-4-4-12` hex digits): it names a directory, so nothing else is allowed.
    case invalidProjectID(String)
    /// The branch name is not a valid git branch name.
    case invalidBranchName(String)
    /// The hook command is not an absolute path.
    case invalidHookCommand(String)
    /// A directory exists where the repository should be, but libgit2 cannot open it as a bare repository.
    case notARepository(path: String, reason: String)
    /// The export target already contains files.
    case exportDirectoryNotEmpty(String)
    /// A tree entry cannot be written safely, e.g. a symlink pointing outside the export directory.
    case unsafeTreeEntry(path: String, reason: String)
    /// The commit, branch or tag to export does not exist in the repository.
    case commitNotFound(repository: String, spec: String)

    public var description: String {
        switch self {
        case .invalidProjectID(let id):
            "invalid project id \"\(id)\": expected a UUID such as 3f2b8c1e-5d4a-4e6f-9b7c-0a1d2e3f4a5b"
        case .invalidBranchName(let name):
            "invalid branch name \"\(name)\": use a git branch name such as main (see git-check-ref-format(1))"
        case .invalidHookCommand(let command):
            "invalid hook command \"\(command)\": the pre-receive hook needs the absolute path of the paastech executable"
        case .notARepository(let path, let reason):
            "\(path) exists but is not a bare git repository (\(reason)); move it away and create the repository again"
        case .exportDirectoryNotEmpty(let path):
            "cannot export a commit into \(path): the directory is not empty"
        case .unsafeTreeEntry(let path, let reason):
            "refusing to export \(path): \(reason)"
        case .commitNotFound(let repository, let spec):
            "no commit \"\(spec)\" in \(repository)"
        }
    }
}
