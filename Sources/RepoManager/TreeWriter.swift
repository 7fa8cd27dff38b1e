import CGit2
import Glibc
import Systemd

/// Writes a git tree into a directory through directory fds, one entry at a time (``RepositoryExport``).
struct TreeWriter {
    /// Deeper trees are refused (git has its own limit, core.maxTreeDepth): each level holds a directory fd
    /// and a stack frame, and a pushed tree is untrusted input. Real projects stay far below.
    static let maximumDepth = 256

    let repository: GitRepository
    /// The export directory, for messages.
    let root: String

    func write(tree: OpaquePointer, into directory: Int32, relativePath: String, depth: Int) throws {
        guard depth < Self.maximumDepth else {
            throw RepositoryError.unsafeTreeEntry(path: relativePath, reason: "trees nested deeper than \(Self.maximumDepth) levels")
        }
        for index in 0..<git_tree_entrycount(tree) {
            guard let entry = git_tree_entry_byindex(tree, index), let id = git_tree_entry_id(entry),
                  let rawName = git_tree_entry_name(entry) else { continue }
            // The exact bytes go to the kernel (names need not be UTF-8); the String is for messages.
            let name = FileTree.name(rawName)
            let path = relativePath.isEmpty ? FileTree.display(name) : relativePath + "/" + FileTree.display(name)
            try Self.validate(name: name, path: path)
            switch git_tree_entry_filemode(entry) {
            case GIT_FILEMODE_TREE:
                let child = try makeDirectory(name, in: directory, path: path)
                defer { SystemCall.closeQuietly(child) }
                var subtree: OpaquePointer?
                try Git.check(git_tree_lookup(&subtree, repository.handle, id), "read the tree \(path)")
                defer { git_tree_free(subtree) }
                try write(tree: try GitRepository.unwrapped(subtree, "read the tree \(path)"), into: child,
                          relativePath: path, depth: depth + 1)
            case GIT_FILEMODE_BLOB:
                try writeFile(name, in: directory, path: path, blob: id, mode: 0o644)
            case GIT_FILEMODE_BLOB_EXECUTABLE:
                try writeFile(name, in: directory, path: path, blob: id, mode: 0o755)
            case GIT_FILEMODE_LINK:
                try writeSymlink(name, in: directory, path: path, blob: id)
            case GIT_FILEMODE_COMMIT:
                // A submodule: its commit lives in another repository.
                SystemCall.closeQuietly(try makeDirectory(name, in: directory, path: path))
            default:
                throw RepositoryError.unsafeTreeEntry(path: path, reason: "unknown file mode \(git_tree_entry_filemode(entry).rawValue)")
            }
        }
    }

    /// Tree entry names come from whoever pushed: only plain names, and never `.git` (as git's checkout refuses).
    static func validate(name: FileTree.Name, path: String) throws {
        let bytes = name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        guard !bytes.isEmpty, bytes != Array(".".utf8), bytes != Array("..".utf8), !bytes.contains(UInt8(ascii: "/")) else {
            throw RepositoryError.unsafeTreeEntry(path: path, reason: "the name \"\(FileTree.display(name))\" is not a plain file name")
        }
        guard String(decoding: bytes, as: UTF8.self).lowercased() != ".git" else {
            throw RepositoryError.unsafeTreeEntry(path: path, reason: "a tree entry named .git would pose as a repository")
        }
    }

    /// A relative symlink target without `..` resolves below the link's own directory, so it cannot leave
    /// the export even when it runs through other such links.
    static func validate(symlinkTarget target: [UInt8], path: String) throws {
        let shown = String(decoding: target, as: UTF8.self)
        guard !target.isEmpty, !target.contains(0) else {
            throw RepositoryError.unsafeTreeEntry(path: path, reason: "the symlink has an empty or invalid target")
        }
        guard target.first != UInt8(ascii: "/") else {
            throw RepositoryError.unsafeTreeEntry(path: path, reason: "the symlink points at the absolute path \(shown); only relative links inside the source are exported")
        }
        guard !target.split(separator: UInt8(ascii: "/")).contains(where: { $0.elementsEqual("..".utf8) }) else {
            throw RepositoryError.unsafeTreeEntry(path: path, reason: "the symlink target \(shown) climbs with \"..\"; only links to files below the link's own directory are exported")
        }
    }

    private func makeDirectory(_ name: FileTree.Name, in parent: Int32, path: String) throws -> Int32 {
        try SystemCall.retryingInterrupts("mkdir(\(root)/\(path))") { mkdirat(parent, name, 0o755) }
        let fd = try FileTree.openDirectory(name, in: parent, path: root + "/" + path)
        // The umask may have cleared bits: directories are 0755 whatever the caller's umask.
        do {
            try SystemCall.retryingInterrupts("fchmod(\(root)/\(path), 755)") { fchmod(fd, 0o755) }
        } catch {
            SystemCall.closeQuietly(fd)
            throw error
        }
        return fd
    }

    private func writeFile(_ name: FileTree.Name, in parent: Int32, path: String, blob id: UnsafePointer<git_oid>, mode: mode_t) throws {
        let blob = try lookupBlob(id, path: path)
        defer { git_blob_free(blob) }
        let fd = try SystemCall.retryingInterrupts("create \(root)/\(path)") {
            openat(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        }
        defer { SystemCall.closeQuietly(fd) }
        let size = Int(git_blob_rawsize(blob))
        if size > 0, let content = git_blob_rawcontent(blob) {
            try FileTree.writeAll(fd, UnsafeRawBufferPointer(start: content, count: size), path: root + "/" + path)
        }
        try SystemCall.retryingInterrupts("fchmod(\(root)/\(path), \(String(mode, radix: 8)))") { fchmod(fd, mode) }
    }

    private func writeSymlink(_ name: FileTree.Name, in parent: Int32, path: String, blob id: UnsafePointer<git_oid>) throws {
        let blob = try lookupBlob(id, path: path)
        defer { git_blob_free(blob) }
        let size = Int(git_blob_rawsize(blob))
        let target: [UInt8] = size > 0 ? git_blob_rawcontent(blob).map { Array(UnsafeRawBufferPointer(start: $0, count: size)) } ?? [] : []
        try Self.validate(symlinkTarget: target, path: path)
        let cTarget = target.map { CChar(bitPattern: $0) } + [0]
        try SystemCall.retryingInterrupts("symlink \(root)/\(path) -> \(String(decoding: target, as: UTF8.self))") {
            symlinkat(cTarget, parent, name)
        }
    }

    private func lookupBlob(_ id: UnsafePointer<git_oid>, path: String) throws -> OpaquePointer {
        var blob: OpaquePointer?
        try Git.check(git_blob_lookup(&blob, repository.handle, id), "read the blob of \(path)")
        return try GitRepository.unwrapped(blob, "read the blob of \(path)")
    }
}
