import Foundation
import Glibc

/// The on-disk log of one deployment: two files, `current.log` and `previous.log`. When the current
/// one reaches half the budget it becomes the previous one (replacing the older), so the log never
/// takes more than `maxBytes` and always keeps at least the last `maxBytes / 2`. It outlives
/// instances, restarts and redeploys; deleting the deployment deletes it.
///
/// Not thread-safe: ``LogBook`` serialises access.
final class DeploymentLog {
    let directory: String
    let maxBytes: Int
    private var fd: Int32 = -1
    private var currentSize = 0

    var currentPath: String { directory + "/current.log" }
    var previousPath: String { directory + "/previous.log" }

    init(directory: String, maxBytes: Int) throws(PomegranateError) {
        self.directory = directory
        self.maxBytes = maxBytes
        try openCurrent()
    }

    deinit {
        if fd >= 0 { close(fd) }
    }

    func append(_ line: LogLine) throws(PomegranateError) {
        let bytes = Array(line.encoded.utf8)
        if currentSize + bytes.count > maxBytes / 2 && currentSize > 0 {
            try rotate()
        }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, bytes.count - offset) }  // safe: a line is never empty
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { throw .logFile(path: currentPath, errno: errno) }
            offset += written
        }
        currentSize += bytes.count
    }

    /// Every kept line, oldest first.
    func lines() -> [LogLine] {
        [previousPath, currentPath].flatMap { path -> [LogLine] in
            guard let data = FileManager.default.contents(atPath: path) else { return [] }
            return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap(LogLine.init(decoding:))
        }
    }

    /// Deletes both files and the directory.
    func removeAll() {
        if fd >= 0 { close(fd); fd = -1 }
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func rotate() throws(PomegranateError) {
        close(fd)
        fd = -1
        guard rename(currentPath, previousPath) == 0 else { throw .logFile(path: previousPath, errno: errno) }
        try openCurrent()
    }

    private func openCurrent() throws(PomegranateError) {
        let failure = makeDirectories(directory, mode: 0o750)
        guard failure == 0 else { throw .logFile(path: directory, errno: failure) }
        fd = open(currentPath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw .logFile(path: currentPath, errno: errno) }
        var status = stat()
        currentSize = fstat(fd, &status) == 0 ? Int(status.st_size) : 0
    }
}
