import Glibc
import Systemd

/// Directory-tree operations through directory fds, never following a symlink: a repository may contain
/// symlinks planted by whoever had access, and deleting or measuring it must not reach outside it.
enum FileTree {
    /// Opens a directory the caller names (the store's directory, an export target): a symlink to a
    /// directory is followed, as an administrator may have moved the data elsewhere.
    static func openDirectory(atPath path: String) throws -> Int32 {
        try SystemCall.retryingInterrupts("open the directory \(path)") {
            open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        }
    }

    /// Opens the directory `name` inside `parent`, refusing a symlink (ELOOP) or anything else (ENOTDIR).
    static func openDirectory(_ name: UnsafePointer<CChar>, in parent: Int32, path: String) throws -> Int32 {
        try SystemCall.retryingInterrupts("open the directory \(path)") {
            openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        }
    }

    /// A name in a directory as the kernel has it: bytes, NUL-terminated. Names in a repository (loose refs
    /// pushed by anyone) need not be UTF-8, and decoding them into a String would lose the exact bytes.
    typealias Name = [CChar]

    static func name(_ text: String) -> Name { Array(text.utf8CString) }

    static func name(_ cString: UnsafePointer<CChar>) -> Name {
        Array(UnsafeBufferPointer(start: cString, count: strlen(cString) + 1))
    }

    /// A name for messages (invalid UTF-8 shown as U+FFFD).
    static func display(_ name: Name) -> String {
        String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The names in the directory `fd`, without `.` and `..`. The caller keeps `fd`.
    static func names(in fd: Int32, path: String) throws -> [Name] {
        let copy = try SystemCall.retryingInterrupts("dup(\(path))") { fcntl(fd, F_DUPFD_CLOEXEC, 0) }
        guard let directory = fdopendir(copy) else {
            let error = errno
            SystemCall.closeQuietly(copy)
            throw SystemCallError(operation: "fdopendir(\(path))", errno: error)
        }
        defer { closedir(directory) }
        // A dup shares the read position: start from the top whatever the caller read before.
        rewinddir(directory)
        var names: [Name] = []
        while true {
            errno = 0
            guard let entry = readdir(directory) else {
                if errno != 0 { throw SystemCallError(operation: "readdir(\(path))", errno: errno) }
                return names
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                bytes.prefix { $0 != 0 }.map { CChar(bitPattern: $0) } + [0]
            }
            if name != [46, 0] && name != [46, 46, 0] { names.append(name) }  // "." and ".."
        }
    }

    /// Whether `name` exists in `parent` (without following a symlink).
    static func exists(_ name: Name, in parent: Int32, path: String) throws -> Bool {
        do {
            _ = try status(name, in: parent, path: path)
            return true
        } catch {
            guard error.errno == ENOENT else { throw error }
            return false
        }
    }

    /// `lstat` of `name` in `parent`.
    static func status(_ name: Name, in parent: Int32, path: String) throws(SystemCallError) -> stat {
        var status = stat()
        try SystemCall.retryingInterrupts("lstat(\(path))") { fstatat(parent, name, &status, AT_SYMLINK_NOFOLLOW) }
        return status
    }

    /// Removes `name` from `parent`: a file or symlink is unlinked, a directory emptied depth-first and removed.
    static func remove(_ name: Name, in parent: Int32, path: String) throws {
        // Linux reports EISDIR for unlink of a directory: only then is there a tree to empty.
        guard try !unlinkUnlessDirectory(name, in: parent, path: path) else { return }
        let directory = try openDirectory(name, in: parent, path: path)
        defer { SystemCall.closeQuietly(directory) }
        for child in try names(in: directory, path: path) {
            try remove(child, in: directory, path: path + "/" + display(child))
        }
        try SystemCall.retryingInterrupts("rmdir(\(path))") { unlinkat(parent, name, AT_REMOVEDIR) }
    }

    /// Unlinks a file or symlink; false when `name` is a directory, true when done or already gone.
    private static func unlinkUnlessDirectory(_ name: Name, in parent: Int32, path: String) throws(SystemCallError) -> Bool {
        do {
            try SystemCall.retryingInterrupts("unlink(\(path))") { unlinkat(parent, name, 0) }
            return true
        } catch {
            switch error.errno {
            case ENOENT: return true
            case EISDIR: return false
            default: throw error
            }
        }
    }

    /// Disk space (allocated blocks) of `name` in `parent` and everything below it, as `du` counts it.
    static func allocatedBytes(_ name: Name, in parent: Int32, path: String) throws -> UInt64 {
        let status = try status(name, in: parent, path: path)
        var total = UInt64(max(status.st_blocks, 0)) * 512
        guard status.st_mode & S_IFMT == S_IFDIR else { return total }
        let directory = try openDirectory(name, in: parent, path: path)
        defer { SystemCall.closeQuietly(directory) }
        for child in try names(in: directory, path: path) {
            total += try allocatedBytes(child, in: directory, path: path + "/" + display(child))
        }
        return total
    }

    /// Creates (or replaces) the file `name` in `parent` with `contents` and exactly `mode`, atomically:
    /// written to a temporary name first, then renamed over the old file.
    static func writeFileAtomically(_ name: String, in parent: Int32, path: String, contents: [UInt8], mode: mode_t) throws {
        let temporary = ".\(name).tmp-\(UInt32.random(in: 0...UInt32.max))"
        let fd = try SystemCall.retryingInterrupts("create \(path) (as \(temporary))") {
            openat(parent, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        }
        do {
            defer { SystemCall.closeQuietly(fd) }
            try writeAll(fd, contents, path: path)
            // The umask may have cleared bits of `mode`: set it exactly.
            try SystemCall.retryingInterrupts("fchmod(\(path), \(String(mode, radix: 8)))") { fchmod(fd, mode) }
            try SystemCall.retryingInterrupts("fsync(\(path))") { fsync(fd) }
        } catch {
            _ = unlinkat(parent, temporary, 0)
            throw error
        }
        do {
            try SystemCall.retryingInterrupts("rename \(temporary) to \(path)") { renameat(parent, temporary, parent, name) }
        } catch {
            _ = unlinkat(parent, temporary, 0)
            throw error
        }
    }

    /// Writes all of `bytes` to `fd`, continuing after short writes.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let remaining = bytes.count - offset
            let written = try SystemCall.retryingInterrupts("write(\(path))") {
                write(fd, base + offset, remaining)
            }
            offset += written
        }
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
        try bytes.withUnsafeBytes { try writeAll(fd, $0, path: path) }
    }
}
