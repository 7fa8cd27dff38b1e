import Glibc
import Systemd

/// The system calls this target makes, each retrying `EINTR` and throwing an error that names what was
/// attempted. Directory operations take paths; interface files go through ``CgroupDirectory``'s fd.
extension SystemCall {
    /// `mkdir(path, 0755)`; returns false when it already existed.
    /// - Parameter missingParentHint: How to fix an `ENOENT` (the parent directory is missing).
    @discardableResult
    static func makeDirectory(_ path: String, missingParentHint: String? = nil) throws(CgroupError) -> Bool {
        do throws(SystemCallError) {
            try retryingInterrupts("mkdir(\(path))") { mkdir(path, 0o755) }
            return true
        } catch where error.errno == EEXIST {
            return false
        } catch {
            let hint = error.errno == ENOENT ? missingParentHint : nil
            throw .systemCall(SystemCallError(operation: error.operation, errno: error.errno, hint: hint))
        }
    }

    /// `rmdir(path)`; returns false when it did not exist.
    @discardableResult
    static func removeDirectory(_ path: String) throws(SystemCallError) -> Bool {
        do throws(SystemCallError) {
            try retryingInterrupts("rmdir(\(path))") { rmdir(path) }
            return true
        } catch where error.errno == ENOENT {
            return false
        }
    }

    /// The names of the subdirectories of `path`; empty when `path` does not exist.
    static func subdirectories(of path: String) throws(CgroupError) -> [String] {
        guard let directory = opendir(path) else {
            let error = Glibc.errno
            if error == ENOENT { return [] }
            throw .systemCall(SystemCallError(operation: "opendir(\(path))", errno: error))
        }
        defer { closedir(directory) }
        var names: [String] = []
        while true {
            Glibc.errno = 0
            guard let entry = readdir(directory) else {
                let error = Glibc.errno
                if error != 0 { throw .systemCall(SystemCallError(operation: "readdir(\(path))", errno: error)) }
                return names.sorted()
            }
            guard entry.pointee.d_type == UInt8(DT_DIR) else { continue }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
    }

    /// The `f_type` magic number of the file system holding `path`.
    static func fileSystemType(of path: String) throws(SystemCallError) -> Int {
        guard let statfsFunction = GNUFunctions.statfs else {
            throw SystemCallError(operation: "statfs(\(path)): glibc has no statfs symbol", errno: ENOSYS)
        }
        // struct statfs is 120 bytes on 64-bit Linux; f_type (a long) is its first field on every
        // 64-bit architecture. A larger, aligned buffer leaves room to spare.
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 512, alignment: 16)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0, count: 512)
        try retryingInterrupts("statfs(\(path))") { statfsFunction(path, buffer) }
        return buffer.load(as: Int.self)
    }

    /// Whether `path` exists.
    static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    /// Reads a whole small file by path (used for `/proc/self/cgroup`).
    static func readFile(_ path: String) throws(CgroupError) -> String {
        let fd: Int32
        do throws(SystemCallError) {
            fd = try retryingInterrupts("open(\(path))") { open(path, O_RDONLY | O_CLOEXEC) }
        } catch {
            throw .readFailed(path: path, error)
        }
        defer { close(fd) }
        return try readAll(fd, path: path)
    }

    /// Reads `fd` to end of file. A read that does not fill the buffer ends it: cgroup interface files are
    /// seq_files, which fill a read as far as they have data (one read instead of two per small file).
    static func readAll(_ fd: Int32, path: String) throws(CgroupError) -> String {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count: Int
            do throws(SystemCallError) {
                count = try retryingInterrupts("read(\(path))") {
                    buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                }
            } catch {
                throw .readFailed(path: path, error)
            }
            bytes.append(contentsOf: buffer[0..<count])
            if count < buffer.count { return String(decoding: bytes, as: UTF8.self) }
        }
    }
}

/// glibc functions that Swift's Glibc module does not declare (`<sys/statfs.h>` is not in it), found by
/// name at run time; a system-library shim would need a change to Package.swift.
enum GNUFunctions {
    typealias StatFileSystem = @Sendable @convention(c) (UnsafePointer<CChar>, UnsafeMutableRawPointer) -> Int32

    /// `statfs(2)`.
    static let statfs: StatFileSystem? = lookUp("statfs", as: StatFileSystem.self)

    private static func lookUp<Function>(_ name: String, as type: Function.Type) -> Function? {
        // dlopen(NULL) is the program itself, whose global scope includes the already-loaded libc.
        guard let program = dlopen(nil, RTLD_NOW), let symbol = dlsym(program, name) else { return nil }
        return unsafeBitCast(symbol, to: type)
    }
}

/// Joins absolute cgroup paths without doubling slashes: `join("/sys/fs/cgroup", "/", "apps")`.
func joinPath(_ first: String, _ rest: String...) -> String {
    var path = first
    for component in rest {
        let trimmed = component.split(separator: "/", omittingEmptySubsequences: true).joined(separator: "/")
        guard !trimmed.isEmpty else { continue }
        path = path.hasSuffix("/") ? path + trimmed : path + "/" + trimmed
    }
    return path
}
