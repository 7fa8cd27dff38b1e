import Glibc
import Systemd

/// Replaces a small state file atomically, cheaply on every file system.
///
/// The usual write-then-rename over the old file makes ext4 flush the new data first (its
/// `auto_da_alloc` safeguard), which costs 0.1 to 0.4 ms here, on the start and stop path of every
/// bridged sandbox when the state directory is not a tmpfs. Exchanging the two names
/// (`renameat2(RENAME_EXCHANGE)`) and unlinking the old content does not: at every moment the path
/// holds a complete version, the old or the new one. A leftover `<path>.new` is only a stale copy.
enum StateFileReplacement {
    /// `renameat2(2)`'s flag that swaps two existing names.
    static let exchange: UInt32 = 2

    /// Makes `path` hold `bytes`.
    static func replace(_ path: String, with bytes: [UInt8]) throws(SystemCallError) {
        let staged = path + ".new"
        _ = unlink(staged)  // a leftover of an interrupted save: start from an empty file (O_EXCL below)
        let fd = try SystemCall.retryingInterrupts("open(\(staged))") {
            open(staged, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        }
        do throws(SystemCallError) {
            try SystemCall.writeAll(fd, bytes, "write(\(staged))")
        } catch {
            SystemCall.closeQuietly(fd)
            _ = unlink(staged)
            throw error
        }
        SystemCall.closeQuietly(fd)
        var existing = stat()
        if lstat(path, &existing) == 0 && (existing.st_mode & S_IFMT) != S_IFREG {
            // Exchanging would succeed with a directory there; refuse as rename would.
            _ = unlink(staged)
            throw SystemCallError(operation: "replace \(path)", errno: EISDIR, hint: "something other than a file is in the way: remove it")
        }
        if let renameat2 = GNUFunctions.renameat2, renameat2(AT_FDCWD, staged, AT_FDCWD, path, exchange) == 0 {
            _ = unlink(staged)  // now the old content
            return
        }
        // No file yet (the first save), or no renameat2 (an old kernel or file system): a plain rename.
        try SystemCall.retryingInterrupts("rename(\(staged), \(path))") { rename(staged, path) }
    }
}
