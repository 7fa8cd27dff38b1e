import Foundation
import Glibc
import Systemd

/// The bare repositories of all projects, one directory each: `<directory>/<project-uuid>.git`.
///
/// A value type holding only paths: every call opens what it needs, so the store can be used from
/// any thread. Calls block (libgit2 and file system work); run them off the cooperative pool.
public struct RepositoryStore: Sendable {
    /// The directory that holds the repositories, e.g. `/var/lib/paastech/repos`.
    public let directory: String
    /// The executable the pre-receive hook runs as `<hookCommand> hook pre-receive`, e.g. `/usr/bin/paastech`.
    public let hookCommand: String

    /// - Parameters:
    ///   - directory: Where the repositories live (PlatformConfiguration.Paths.repositoriesDirectory);
    ///     created on first use.
    ///   - hookCommand: The absolute path of the `paastech` executable, written into every pre-receive hook.
    public init(directory: String, hookCommand: String) {
        self.directory = directory
        self.hookCommand = hookCommand
    }

    /// The repository directory of a project, `<directory>/<project-uuid>.git`, whether or not it exists.
    /// - Throws: ``RepositoryError/invalidProjectID(_:)`` unless `projectID` is a UUID.
    public func path(projectID: String) throws -> String {
        directory + "/" + (try Self.directoryName(projectID: projectID))
    }

    /// Creates the project's bare repository with HEAD on `refs/heads/<defaultBranch>`, its pre-receive hook
    /// and its config (`receive.denyNonFastForwards=false`, `receive.denyDeletes=true`, `paastech.projectid`).
    ///
    /// Idempotent: for an existing repository it points HEAD at `defaultBranch` again and rewrites the hook
    /// and the config, which repairs them. A new repository is built under a temporary name and renamed into
    /// place, so a failure leaves nothing behind and concurrent calls for one project cannot collide.
    /// - Parameters:
    ///   - projectID: The project's UUID (any case; stored lower case).
    ///   - defaultBranch: The branch whose pushes deploy; `""` means `main`.
    /// - Returns: The repository as ``info(projectID:)`` describes it.
    public func create(projectID: String, defaultBranch: String) throws -> RepositoryInfo {
        let id = try RepositoryNames.projectID(projectID)
        let name = id + ".git"
        let branch = try RepositoryNames.branch(defaultBranch)
        let hook = try PushHook.script(command: hookCommand)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let parent = try FileTree.openDirectory(atPath: directory)
        defer { SystemCall.closeQuietly(parent) }

        if try !FileTree.exists(FileTree.name(name), in: parent, path: directory + "/" + name) {
            let temporary = ".creating-\(name)-\(UInt32.random(in: 0...UInt32.max))"
            do {
                try set(up: GitRepository.createBare(path: directory + "/" + temporary, initialBranch: branch),
                        projectID: id, branch: branch, hook: hook)
            } catch {
                try? FileTree.remove(FileTree.name(temporary), in: parent, path: directory + "/" + temporary)
                throw error
            }
            do {
                try SystemCall.retryingInterrupts("rename \(temporary) to \(name) in \(directory)") {
                    renameat(parent, temporary, parent, name)
                }
            } catch {
                try? FileTree.remove(FileTree.name(temporary), in: parent, path: directory + "/" + temporary)
                // ENOTEMPTY/EEXIST: a concurrent call created it meanwhile; it is set up again below.
                guard error.errno == ENOTEMPTY || error.errno == EEXIST else { throw error }
            }
        }
        let path = directory + "/" + name
        try set(up: try open(path), projectID: id, branch: branch, hook: hook)
        return try describe(path: path, projectID: id, parent: parent, name: name)
    }

    /// Deletes the project's repository and everything in it. Symlinks inside are removed, never followed.
    /// The directory is first renamed away, so pushes fail at once instead of seeing a half-deleted repository.
    /// - Returns: Whether the repository existed.
    public func delete(projectID: String) throws -> Bool {
        let name = try Self.directoryName(projectID: projectID)
        guard FileManager.default.fileExists(atPath: directory) else { return false }
        let parent = try FileTree.openDirectory(atPath: directory)
        defer { SystemCall.closeQuietly(parent) }
        guard try FileTree.exists(FileTree.name(name), in: parent, path: directory + "/" + name) else { return false }
        let doomed = ".deleting-\(name)-\(UInt32.random(in: 0...UInt32.max))"
        do {
            try SystemCall.retryingInterrupts("rename \(name) to \(doomed) in \(directory)") {
                renameat(parent, name, parent, doomed)
            }
        } catch {
            guard error.errno == ENOENT else { throw error }
            return false  // deleted by a concurrent call
        }
        try FileTree.remove(FileTree.name(doomed), in: parent, path: directory + "/" + doomed)
        return true
    }

    /// Describes the project's repository: path, default branch, branches with their commits, size on disk.
    /// - Returns: nil when the project has no repository.
    public func info(projectID: String) throws -> RepositoryInfo? {
        let id = try RepositoryNames.projectID(projectID)
        let name = id + ".git"
        guard FileManager.default.fileExists(atPath: directory) else { return nil }
        let parent = try FileTree.openDirectory(atPath: directory)
        defer { SystemCall.closeQuietly(parent) }
        guard try FileTree.exists(FileTree.name(name), in: parent, path: directory + "/" + name) else { return nil }
        return try describe(path: directory + "/" + name, projectID: id, parent: parent, name: name)
    }

    static func directoryName(projectID: String) throws -> String {
        try RepositoryNames.projectID(projectID) + ".git"
    }

    /// Opens an existing repository; a directory libgit2 cannot open is reported as not a repository.
    private func open(_ path: String) throws -> GitRepository {
        do {
            return try GitRepository.open(path: path)
        } catch let error as GitError where error.isNotFound {
            throw RepositoryError.notARepository(path: path, reason: error.message)
        }
    }

    /// HEAD, config and hook: everything `create` guarantees, for a new or an existing repository.
    private func set(up repository: GitRepository, projectID: String, branch: String, hook: String) throws {
        try repository.setHead(branch: branch)
        try repository.configure { config in
            // Force-pushes deploy like any push (the platform has no review step); deleting the
            // deploy branch would leave the app without source, so it is refused.
            try config.set("receive.denyNonFastForwards", false)
            try config.set("receive.denyDeletes", true)
            // `paastech hook pre-receive` may read it to know which project was pushed.
            try config.set("paastech.projectid", projectID)
        }
        // The hooks directory is opened without following a symlink: the hook must land in this repository.
        let repositoryDirectory = try FileTree.openDirectory(atPath: repository.path)
        defer { SystemCall.closeQuietly(repositoryDirectory) }
        let hooksPath = repository.path + "/hooks"
        do {
            try SystemCall.retryingInterrupts("mkdir(\(hooksPath))") { mkdirat(repositoryDirectory, "hooks", 0o755) }
        } catch {
            guard error.errno == EEXIST else { throw error }  // EEXIST: libgit2's templates created it
        }
        let hooks = try FileTree.openDirectory("hooks", in: repositoryDirectory, path: hooksPath)
        defer { SystemCall.closeQuietly(hooks) }
        try FileTree.writeFileAtomically(PushHook.name, in: hooks, path: hooksPath + "/" + PushHook.name,
                                         contents: Array(hook.utf8), mode: 0o755)
        for obsolete in PushHook.obsoleteNames where unlinkat(hooks, obsolete, 0) != 0 && errno != ENOENT {
            throw SystemCallError(operation: "unlink(\(hooksPath)/\(obsolete))", errno: errno)
        }
    }

    private func describe(path: String, projectID: String, parent: Int32, name: String) throws -> RepositoryInfo {
        let repository = try open(path)
        return RepositoryInfo(projectID: projectID, path: path,
                              defaultBranch: try repository.headBranch() ?? RepositoryNames.defaultBranch,
                              branches: try repository.branches(),
                              sizeBytes: try FileTree.allocatedBytes(FileTree.name(name), in: parent, path: path))
    }
}
