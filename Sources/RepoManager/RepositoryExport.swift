import CGit2
import Foundation
import Glibc
import Systemd

/// Reading commits out of a bare repository: the pipeline's source checkout and its release metadata.
/// Every call opens the repository itself and blocks; safe to call from several threads at once.
public enum RepositoryExport {
    /// Writes the tree of `commit` into `directory` (created if missing, and otherwise empty), without
    /// an index or a `.git` directory: the build sees exactly the committed files.
    ///
    /// Regular files get mode 0644, executables 0755, directories 0755. Symlinks are written as symlinks when
    /// their target is relative and has no `..` component, so every link stays inside `directory` even
    /// through other links; any other target (absolute, or climbing with `..`) is refused with
    /// ``RepositoryError/unsafeTreeEntry(path:reason:)``. Submodules become empty directories, as in a
    /// checkout without `--recurse-submodules`. Nothing is ever written through a symlink.
    /// - Parameters:
    ///   - repositoryPath: The bare repository.
    ///   - commit: A hex commit id (full or abbreviated), a branch, a tag or a full ref name.
    ///   - directory: The target; its parent must exist.
    ///   - objectDirectories: More object directories to read, e.g. a pre-receive hook's quarantine.
    /// - Throws: ``RepositoryError/commitNotFound(repository:spec:)``,
    ///   ``RepositoryError/exportDirectoryNotEmpty(_:)``, ``RepositoryError/unsafeTreeEntry(path:reason:)``,
    ///   ``GitError``, or `SystemCallError`. A failed export may leave some files in `directory`.
    public static func checkout(repositoryPath: String, commit: String, into directory: String, objectDirectories: [String] = []) throws {
        let repository = try GitRepository.open(path: repositoryPath, objectDirectories: objectDirectories)
        guard let commitObject = try repository.lookupCommit(commit) else {
            throw RepositoryError.commitNotFound(repository: repositoryPath, spec: commit)
        }
        defer { git_commit_free(commitObject) }
        var tree: OpaquePointer?
        try Git.check(git_commit_tree(&tree, commitObject), "read the tree of \(commit) in \(repositoryPath)")
        defer { git_tree_free(tree) }

        let target = try openEmptyDirectory(directory)
        defer { SystemCall.closeQuietly(target) }
        let writer = TreeWriter(repository: repository, root: directory)
        try writer.write(tree: try GitRepository.unwrapped(tree, "read the tree of \(commit)"), into: target, relativePath: "", depth: 0)
    }

    /// The commit id that `ref` names (a branch such as `main`, a full ref, a tag, or a hex id).
    /// - Returns: The 40-digit hex id, or nil when nothing in the repository matches.
    public static func resolve(repositoryPath: String, ref: String) throws -> String? {
        let repository = try GitRepository.open(path: repositoryPath)
        guard let commit = try repository.lookupCommit(ref) else { return nil }
        defer { git_commit_free(commit) }
        return Git.hex(git_commit_id(commit))
    }

    /// The id, short id, subject and author of `commit`, for the release row.
    /// - Throws: ``RepositoryError/commitNotFound(repository:spec:)`` when nothing matches `commit`.
    public static func summary(repositoryPath: String, commit: String, objectDirectories: [String] = []) throws -> CommitSummary {
        let repository = try GitRepository.open(path: repositoryPath, objectDirectories: objectDirectories)
        guard let commitObject = try repository.lookupCommit(commit) else {
            throw RepositoryError.commitNotFound(repository: repositoryPath, spec: commit)
        }
        defer { git_commit_free(commitObject) }
        var shortID = git_buf()
        try Git.check(git_object_short_id(&shortID, commitObject), "abbreviate the id of \(commit) in \(repositoryPath)")
        defer { git_buf_dispose(&shortID) }
        let author = git_commit_author(commitObject)
        let name = author?.pointee.name.map { String(cString: $0) } ?? ""
        let email = author?.pointee.email.map { String(cString: $0) } ?? ""
        return CommitSummary(id: Git.hex(git_commit_id(commitObject)),
                             shortID: shortID.ptr.map { String(cString: $0) } ?? "",
                             subject: git_commit_summary(commitObject).map { String(cString: $0) } ?? "",
                             author: "\(name) <\(email)>")
    }

    /// Opens `path` as a directory, creating it when missing; refuses a directory with entries.
    private static func openEmptyDirectory(_ path: String) throws -> Int32 {
        do {
            try SystemCall.retryingInterrupts("mkdir(\(path))") { mkdir(path, 0o755) }
        } catch {
            guard error.errno == EEXIST else { throw error }
        }
        let fd = try FileTree.openDirectory(atPath: path)
        do {
            guard try FileTree.names(in: fd, path: path).isEmpty else { throw RepositoryError.exportDirectoryNotEmpty(path) }
        } catch {
            SystemCall.closeQuietly(fd)
            throw error
        }
        return fd
    }
}
