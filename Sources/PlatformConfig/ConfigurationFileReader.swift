#if canImport(Glibc)
import Glibc
#endif

/// Reads the configuration file with plain syscalls, so a missing file can be told apart from an
/// unreadable one.
enum ConfigurationFileReader {
    /// The file's text, or `nil` when it does not exist.
    static func read(path: String) throws -> String? {
        let descriptor = retryingEINTR { open(path, O_RDONLY | O_CLOEXEC) }
        if descriptor < 0 {
            let error = errno
            if error == ENOENT { return nil }
            throw failure(path, "cannot open the file", errno: error)
        }
        defer { close(descriptor) }

        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { raw in
                retryingEINTR { Glibc.read(descriptor, raw.baseAddress, raw.count) }
            }
            if count < 0 {
                throw failure(path, "cannot read the file", errno: errno)
            }
            if count == 0 { break }
            bytes += buffer[..<count]
            if bytes.count > 1 << 20 {
                throw ConfigurationError(file: path, message: "the file is larger than 1 MiB; is this the right file?")
            }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ConfigurationError(file: path, message: "the file is not valid UTF-8 text")
        }
        return text
    }

    /// Repeats a syscall interrupted by a signal; other results (including -1) are returned.
    private static func retryingEINTR<Result: BinaryInteger>(_ call: () -> Result) -> Result {
        while true {
            let result = call()
            if result == -1 && errno == EINTR { continue }
            return result
        }
    }

    private static func failure(_ path: String, _ what: String, errno code: Int32) -> ConfigurationError {
        let reason = String(cString: strerror(code))
        var message = "\(what): \(reason) (errno \(code))"
        if code == EACCES {
            message += "; check the file's owner and mode (it must be readable by the service's user)"
        }
        return ConfigurationError(file: path, message: message)
    }
}
