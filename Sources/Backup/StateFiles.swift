import Foundation
import Glibc
import Systemd

/// The file operations of a backup and a restore, each failing with a ``BackupError`` that names it.
enum StateFiles {
    /// A new directory `<parent>/<prefix>XXXXXX`, mode 0700 (it holds the database dump).
    static func temporaryDirectory(in parent: String, prefix: String) throws(BackupError) -> String {
        var template = Array((parent + "/" + prefix + "XXXXXX").utf8CString)
        guard let created = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw .file("create a temporary directory in \(parent)", String(cString: strerror(errno)))
        }
        return String(cString: created)
    }

    /// Opens `path` for `flags`, creating it with `mode` when `flags` say so; close-on-exec.
    static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o600) throws(BackupError) -> Int32 {
        do {
            return try SystemCall.retryingInterrupts("open(\(path))") { Glibc.open(path, flags | O_CLOEXEC, mode) }
        } catch {
            throw .file("open \(path)", error)
        }
    }

    /// Runs `body` with `path` open (see ``open(_:_:mode:)``), and closes it afterwards.
    static func withOpen<Value>(_ path: String, _ flags: Int32, _ body: (Int32) async throws(BackupError) -> Value)
        async throws(BackupError) -> Value {
        let descriptor = try open(path, flags)
        defer { close(descriptor) }
        return try await body(descriptor)
    }

    /// Writes `data` to a new file `path` (mode 0600).
    static func write(_ data: Data, to path: String) throws(BackupError) {
        guard FileManager.default.createFile(atPath: path, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw .file("write \(path)", String(cString: strerror(errno)))
        }
    }

    /// rename(2): atomic, and replaces what `target` named.
    static func rename(_ source: String, to target: String) throws(BackupError) {
        do {
            try SystemCall.retryingInterrupts("rename(\(source), \(target))") { Glibc.rename(source, target) }
        } catch {
            throw .file("move \(source) to \(target)", error)
        }
    }

    /// Deletes a file or a whole tree; a missing one is fine.
    static func remove(_ path: String) throws(BackupError) {
        guard FileManager.default.fileExists(atPath: path) || isSymbolicLink(path) else { return }
        do {
            try FileManager.default.removeItem(atPath: path)
        } catch {
            throw .file("delete \(path)", "\(error)")
        }
    }

    static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    static func isDirectory(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
    }

    private static func isSymbolicLink(_ path: String) -> Bool {
        var status = stat()
        return lstat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFLNK
    }

    /// The size of a file, for humans: `12.3 MiB`.
    static func size(of path: String) -> String {
        var status = stat()
        guard stat(path, &status) == 0 else { return "?" }
        var value = Double(status.st_size)
        for unit in ["B", "KiB", "MiB", "GiB"] {
            if value < 1024 || unit == "GiB" { return unit == "B" ? "\(Int(value)) B" : String(format: "%.1f", value) + " " + unit }
            value /= 1024
        }
        return "?"
    }

    /// `path` relative to `directory`, when it is inside it.
    static func relative(_ path: String, to directory: String) -> String? {
        let base = directory.hasSuffix("/") ? directory : directory + "/"
        guard path.hasPrefix(base), path.count > base.count else { return nil }
        return String(path.dropFirst(base.count))
    }

    /// An absolute path for `path` given relative to the working directory.
    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }
}
