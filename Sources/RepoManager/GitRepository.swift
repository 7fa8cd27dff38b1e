import CGit2

/// One open libgit2 repository, freed on deinit. libgit2 objects must not be shared between threads,
/// so every operation opens its own and drops it before returning.
final class GitRepository {
    let handle: OpaquePointer
    let path: String

    private init(handle: OpaquePointer, path: String) {
        self.handle = handle
        self.path = path
    }

    deinit { git_repository_free(handle) }

    /// Opens the bare repository at exactly `path` (no search in parent directories).
    /// - Parameter objectDirectories: More object directories to read from, such as the quarantine a
    ///   pre-receive hook sees the pushed objects in (`GIT_QUARANTINE_PATH`).
    static func open(path: String, objectDirectories: [String] = []) throws -> GitRepository {
        try Git.initialize()
        var handle: OpaquePointer?
        try Git.check(git_repository_open_bare(&handle, path), "open the bare repository \(path)")
        let repository = try GitRepository(handle: unwrapped(handle, "open the bare repository \(path)"), path: path)
        guard !objectDirectories.isEmpty else { return repository }
        var odb: OpaquePointer?
        try Git.check(git_repository_odb(&odb, repository.handle), "open the object database of \(path)")
        defer { git_odb_free(odb) }
        for directory in objectDirectories {
            try Git.check(git_odb_add_disk_alternate(odb, directory), "read objects from \(directory) too")
        }
        return repository
    }

    /// Creates a new bare repository at `path` whose HEAD names `refs/heads/<initialBranch>`; fails if one exists.
    static func createBare(path: String, initialBranch: String) throws -> GitRepository {
        try Git.initialize()
        var options = git_repository_init_options()
        try Git.check(git_repository_init_options_init(&options, UInt32(GIT_REPOSITORY_INIT_OPTIONS_VERSION)),
                      "prepare the options to create \(path)")
        options.flags = GIT_REPOSITORY_INIT_BARE.rawValue | GIT_REPOSITORY_INIT_NO_REINIT.rawValue
            | GIT_REPOSITORY_INIT_MKDIR.rawValue
        var handle: OpaquePointer?
        try initialBranch.withCString { branch in
            options.initial_head = branch
            try Git.check(git_repository_init_ext(&handle, path, &options), "create the bare repository \(path)")
        }
        return try GitRepository(handle: unwrapped(handle, "create the bare repository \(path)"), path: path)
    }

    /// Points HEAD at `refs/heads/<branch>`, which need not exist yet (before the first push).
    func setHead(branch: String) throws {
        try Git.check(git_repository_set_head(handle, "refs/heads/" + branch), "point HEAD of \(path) at \(branch)")
    }

    /// The branch HEAD names, e.g. `main`, or nil when HEAD is detached or names something else.
    func headBranch() throws -> String? {
        var reference: OpaquePointer?
        try Git.check(git_reference_lookup(&reference, handle, "HEAD"), "read HEAD of \(path)")
        defer { git_reference_free(reference) }
        guard let target = git_reference_symbolic_target(reference) else { return nil }
        let name = String(cString: target)
        return name.hasPrefix("refs/heads/") ? String(name.dropFirst("refs/heads/".count)) : nil
    }

    /// The local branches and their commits, sorted by name.
    func branches() throws -> [RepositoryInfo.Branch] {
        var iterator: OpaquePointer?
        try Git.check(git_branch_iterator_new(&iterator, handle, GIT_BRANCH_LOCAL), "list the branches of \(path)")
        defer { git_branch_iterator_free(iterator) }
        var branches: [RepositoryInfo.Branch] = []
        while true {
            var reference: OpaquePointer?
            var type = GIT_BRANCH_LOCAL
            let result = git_branch_next(&reference, &type, iterator)
            if result == GIT_ITEROVER.rawValue { break }
            try Git.check(result, "list the branches of \(path)")
            defer { git_reference_free(reference) }
            var name: UnsafePointer<CChar>?
            try Git.check(git_branch_name(&name, reference), "read a branch name in \(path)")
            let branchName = name.map { String(cString: $0) } ?? ""
            var resolved: OpaquePointer?
            try Git.check(git_reference_resolve(&resolved, reference), "resolve the branch \(branchName) of \(path)")
            defer { git_reference_free(resolved) }
            guard let target = git_reference_target(resolved) else { continue }
            branches.append(RepositoryInfo.Branch(name: branchName, commit: Git.hex(target)))
        }
        return branches.sorted { $0.name < $1.name }
    }

    /// Writes entries into the repository's own config file (`<path>/config`), not the user's or the system's.
    func configure(_ body: (LocalConfig) throws -> Void) throws {
        var all: OpaquePointer?
        try Git.check(git_repository_config(&all, handle), "open the config of \(path)")
        defer { git_config_free(all) }
        var local: OpaquePointer?
        try Git.check(git_config_open_level(&local, all, GIT_CONFIG_LEVEL_LOCAL), "open the config file of \(path)")
        defer { git_config_free(local) }
        try body(LocalConfig(handle: try Self.unwrapped(local, "open the config file of \(path)"), path: path))
    }

    /// The repository-level config file, valid inside ``configure(_:)``.
    struct LocalConfig {
        let handle: OpaquePointer
        let path: String

        func set(_ name: String, _ value: Bool) throws {
            try Git.check(git_config_set_bool(handle, name, value ? 1 : 0), "set \(name)=\(value) in \(path)")
        }

        func set(_ name: String, _ value: String) throws {
            try Git.check(git_config_set_string(handle, name, value), "set \(name)=\(value) in \(path)")
        }
    }

    /// The commit that `spec` (a hex id, abbreviated or full, a branch, a tag or a ref) names, or nil when
    /// nothing matches. Tags are peeled; a spec naming a tree or a blob is an error.
    /// The caller frees the commit with `git_commit_free`.
    func lookupCommit(_ spec: String) throws -> OpaquePointer? {
        var object: OpaquePointer?
        let result = git_revparse_single(&object, handle, spec)
        if result == GIT_ENOTFOUND.rawValue {
            git_error_clear()
            return nil
        }
        try Git.check(result, "find \"\(spec)\" in \(path)")
        defer { git_object_free(object) }
        var commit: OpaquePointer?
        try Git.check(git_object_peel(&commit, object, GIT_OBJECT_COMMIT), "read \"\(spec)\" in \(path) as a commit")
        return commit
    }

    /// libgit2 returned success: its out-parameter is set. The check keeps a broken library from crashing us.
    static func unwrapped(_ pointer: OpaquePointer?, _ operation: String) throws -> OpaquePointer {
        guard let pointer else {
            throw GitError(operation: operation, code: GIT_ERROR.rawValue, errorClass: Int32(GIT_ERROR_INVALID.rawValue),
                           message: "libgit2 reported success but returned no object")
        }
        return pointer
    }
}
