import Foundation

/// JSON state files, replaced atomically (write a temporary file, fsync, rename) so a crash never
/// leaves half a file behind.
enum StateFile {
    static func read<Value: Decodable>(_ type: Value.Type, from path: String) throws(PomegranateError) -> Value? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw .stateFile(path: path, detail: "cannot be decoded: \(error)")
        }
    }

    static func write<Value: Encodable>(_ value: Value, to path: String) throws(PomegranateError) {
        let data: Data
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            data = try encoder.encode(value)
        } catch {
            throw .stateFile(path: path, detail: "cannot be encoded: \(error)")
        }
        let directory = (path as NSString).deletingLastPathComponent
        let temporary = path + ".tmp"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            defer { close(fd) }
            try data.withUnsafeBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    let written = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)  // safe: encoded JSON is never empty
                    if written < 0 && errno == EINTR { continue }
                    guard written > 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
                    offset += written
                }
            }
            guard fsync(fd) == 0, rename(temporary, path) == 0 else {
                throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            }
        } catch {
            unlink(temporary)
            throw .stateFile(path: path, detail: "cannot be written: \(error)")
        }
    }

    static func remove(_ path: String) {
        unlink(path)
    }
}
