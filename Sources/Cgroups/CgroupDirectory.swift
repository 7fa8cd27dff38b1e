import Glibc
import Systemd

/// An open cgroup directory: every interface file is opened relative to this fd (as crun does), so a
/// path swapped underneath us after creation cannot redirect a write.
///
/// The fd is `O_PATH | O_DIRECTORY | O_CLOEXEC`: enough for `openat` and for `clone3(CLONE_INTO_CGROUP)`,
/// and it is closed when the last reference goes away.
final class CgroupDirectory: Sendable {
    /// Where the directory is, for messages and bind mounts.
    let path: String
    /// The `O_PATH` descriptor.
    let fd: Int32

    /// Opens an existing cgroup directory.
    init(opening path: String) throws(CgroupError) {
        self.path = path
        do throws(SystemCallError) {
            // O_PATH is hidden behind _GNU_SOURCE in Swift's Glibc module; __O_PATH is the same value.
            fd = try SystemCall.retryingInterrupts("open(\(path), O_PATH | O_DIRECTORY)") {
                open(path, __O_PATH | O_DIRECTORY | O_CLOEXEC)
            }
        } catch {
            throw .systemCall(error)
        }
    }

    /// Opens `path`, or returns nil when it does not exist.
    static func openIfPresent(_ path: String) throws(CgroupError) -> CgroupDirectory? {
        do throws(CgroupError) {
            return try CgroupDirectory(opening: path)
        } catch .systemCall(let error) where error.errno == ENOENT {
            return nil
        }
    }

    deinit {
        close(fd)
    }

    /// Writes `value` to `file` in one `write`, as the kernel expects for interface files.
    func write(_ value: String, to file: String) throws(CgroupError) {
        guard try writeIfPresent(value, to: file) else {
            let filePath = "\(path)/\(file)"
            throw .writeFailed(path: filePath, value: value, SystemCallError(operation: "openat(\(filePath), O_WRONLY)", errno: ENOENT))
        }
    }

    /// Writes `value` to `file`; returns false, writing nothing, when the file does not exist.
    @discardableResult
    func writeIfPresent(_ value: String, to file: String) throws(CgroupError) -> Bool {
        let filePath = "\(path)/\(file)"
        let fileFD: Int32
        do throws(SystemCallError) {
            fileFD = try SystemCall.retryingInterrupts("openat(\(filePath), O_WRONLY)") {
                openat(fd, file, O_WRONLY | O_CLOEXEC)
            }
        } catch where error.errno == ENOENT {
            return false
        } catch {
            throw .writeFailed(path: filePath, value: value, error)
        }
        defer { close(fileFD) }
        var bytes = Array(value.utf8)
        let written: Int
        do throws(SystemCallError) {
            written = try SystemCall.retryingInterrupts("write(\(filePath))") {
                bytes.withUnsafeMutableBytes { Glibc.write(fileFD, $0.baseAddress, $0.count) }
            }
        } catch {
            throw .writeFailed(path: filePath, value: value, error)
        }
        // Interface files take a value in one write; a short write means the kernel took part of it.
        guard written == bytes.count else {
            throw .writeFailed(path: filePath, value: value, SystemCallError(operation: "write(\(filePath)) wrote \(written) of \(bytes.count) bytes", errno: EIO))
        }
        return true
    }

    /// Applies planned writes in order.
    func apply(_ writes: [CgroupFileWrite]) throws(CgroupError) {
        for planned in writes {
            if planned.skipIfMissing {
                try writeIfPresent(planned.value, to: planned.file)
            } else {
                try write(planned.value, to: planned.file)
            }
        }
    }

    /// The content of `file`.
    func read(_ file: String) throws(CgroupError) -> String {
        guard let content = try readIfPresent(file) else {
            let filePath = "\(path)/\(file)"
            throw .readFailed(path: filePath, SystemCallError(operation: "openat(\(filePath), O_RDONLY)", errno: ENOENT))
        }
        return content
    }

    /// The content of `file`, or nil when it does not exist.
    func readIfPresent(_ file: String) throws(CgroupError) -> String? {
        let filePath = "\(path)/\(file)"
        let fileFD: Int32
        do throws(SystemCallError) {
            fileFD = try SystemCall.retryingInterrupts("openat(\(filePath), O_RDONLY)") {
                openat(fd, file, O_RDONLY | O_CLOEXEC)
            }
        } catch where error.errno == ENOENT {
            return nil
        } catch {
            throw .readFailed(path: filePath, error)
        }
        defer { close(fileFD) }
        return try SystemCall.readAll(fileFD, path: filePath)
    }

    /// Whether `file` exists in this directory.
    func contains(_ file: String) -> Bool {
        var info = stat()
        return fstatat(fd, file, &info, 0) == 0
    }

    /// The pids in `cgroup.procs`; empty when the file is missing.
    func processes() throws(CgroupError) -> [pid_t] {
        guard let content = try readIfPresent("cgroup.procs") else { return [] }
        return content.split(whereSeparator: \.isNewline).compactMap { pid_t($0) }
    }

    /// Moves `pid` (the whole process) into this cgroup.
    func attach(pid: pid_t) throws(CgroupError) {
        try write("\(pid)", to: "cgroup.procs")
    }

    /// A flat-keyed file (`key value` lines, e.g. `memory.events`), or empty when the file is missing.
    func readKeyedValues(_ file: String) throws(CgroupError) -> [String: UInt64] {
        guard let content = try readIfPresent(file) else { return [:] }
        return Self.parseKeyedValues(content)
    }

    /// A file holding a single number (`memory.current`), or nil when it is missing or not a number.
    func readNumber(_ file: String) throws(CgroupError) -> UInt64? {
        guard let content = try readIfPresent(file) else { return nil }
        return UInt64(content.trimmingWhitespace)
    }

    /// Parses `key value` lines; lines that do not fit are ignored.
    static func parseKeyedValues(_ content: String) -> [String: UInt64] {
        var values: [String: UInt64] = [:]
        for line in content.split(whereSeparator: \.isNewline) {
            let fields = line.split(separator: " ")
            if fields.count == 2, let value = UInt64(fields[1]) { values[String(fields[0])] = value }
        }
        return values
    }
}

extension String {
    /// The string without leading and trailing spaces and newlines (no Foundation in this target).
    var trimmingWhitespace: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0.isNewline || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
