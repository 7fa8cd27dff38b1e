import Glibc
import Systemd

/// The file operations behind ``CertificateStore``: private directories (0700) and files written
/// atomically with mode 0600, so a crash never leaves a truncated key and no other user ever reads one.
enum CertificateFiles {
    /// Creates `path` if needed and makes it 0700 (an existing directory is tightened too).
    static func makePrivateDirectory(_ path: String) throws(EdgeCertificateError) {
        do throws(SystemCallError) {
            if mkdir(path, 0o700) != 0 && errno != EEXIST {
                throw SystemCallError(operation: "mkdir(\(path))", errno: errno)
            }
            var status = stat()
            try SystemCall.retryingInterrupts("stat(\(path))") { stat(path, &status) }
            guard (status.st_mode & S_IFMT) == S_IFDIR else {
                throw SystemCallError(operation: "mkdir(\(path))", errno: ENOTDIR, hint: "something other than a directory is in the way")
            }
            if status.st_mode & 0o777 != 0o700 {
                try SystemCall.retryingInterrupts("chmod(\(path), 0700)") { chmod(path, 0o700) }
            }
        } catch {
            throw EdgeCertificateError(.storage, operation: "prepare the directory \(path)", reason: "\(error)",
                                   hint: "the edge's state directory must be writable by the user the edge runs as")
        }
    }

    /// Replaces `path` with `bytes`: written to `<path>.new` (0600, synced), then renamed over it.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws(EdgeCertificateError) {
        let staged = path + ".new"
        do throws(SystemCallError) {
            _ = unlink(staged)  // an interrupted earlier write
            let fd = try SystemCall.retryingInterrupts("open(\(staged))") {
                open(staged, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
            }
            do throws(SystemCallError) {
                // The umask cannot widen 0600, but an explicit fchmod states the intent and survives odd umasks.
                try SystemCall.retryingInterrupts("fchmod(\(staged), 0600)") { fchmod(fd, 0o600) }
                var written = 0
                while written < bytes.count {
                    let count = try SystemCall.retryingInterrupts("write(\(staged))") {
                        bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
                    }
                    written += count
                }
                try SystemCall.retryingInterrupts("fsync(\(staged))") { fsync(fd) }
            } catch {
                SystemCall.closeQuietly(fd)
                _ = unlink(staged)
                throw error
            }
            SystemCall.closeQuietly(fd)
            do throws(SystemCallError) {
                try SystemCall.retryingInterrupts("rename(\(staged), \(path))") { rename(staged, path) }
            } catch {
                _ = unlink(staged)
                throw error
            }
        } catch {
            throw EdgeCertificateError(.storage, operation: "write \(path)", reason: "\(error)")
        }
    }

    /// The contents of `path`, or nil when it does not exist.
    static func read(_ path: String) throws(EdgeCertificateError) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        if fd < 0 {
            let error = errno
            if error == ENOENT { return nil }
            throw EdgeCertificateError(.storage, operation: "read \(path)", reason: "\(SystemCallError(operation: "open(\(path))", errno: error))")
        }
        defer { SystemCall.closeQuietly(fd) }
        var contents: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let count: Int
            do throws(SystemCallError) {
                count = try SystemCall.retryingInterrupts("read(\(path))") {
                    buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
                }
            } catch {
                throw EdgeCertificateError(.storage, operation: "read \(path)", reason: "\(error)")
            }
            if count == 0 { return contents }
            contents += buffer[0..<count]
            // Keys and chains are a few kilobytes: anything huge is not ours.
            if contents.count > 1 << 20 {
                throw EdgeCertificateError(.unreadable, operation: "read \(path)", reason: "the file is larger than 1 MiB")
            }
        }
    }

    /// The names of the entries of `directory` (not `.` and `..`); empty when it does not exist.
    static func entries(of directory: String) -> [String] {
        guard let handle = opendir(directory) else { return [] }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
