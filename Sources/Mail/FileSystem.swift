#if canImport(Glibc)
import Glibc
#endif
import Dispatch

/// The syscalls the mailers use, retrying EINTR and throwing ``MailError`` with errno.
enum FileSystem {
    static func check<Result: BinaryInteger>(_ what: @autoclosure () -> String, _ call: () -> Result) throws(MailError) -> Result {
        while true {
            let result = call()
            if result != -1 { return result }
            let code = errno
            if code == EINTR { continue }
            throw MailError(.fileSystem, "\(what()) failed: \(String(cString: strerror(code))) (errno \(code))")
        }
    }

    /// `mkdir(path, 0700)`, where an existing directory is fine.
    static func createDirectoryIfMissing(_ path: String) throws(MailError) {
        while mkdir(path, 0o700) == -1 {
            let code = errno
            if code == EINTR { continue }
            if code == EEXIST { return }
            throw MailError(.fileSystem, "creating the directory \(path) failed: \(String(cString: strerror(code))) (errno \(code))")
        }
    }

    /// Opens a new file that nobody else can have opened: `O_CREAT | O_EXCL`, mode 0600.
    static func createExclusive(_ path: String, flags: Int32) throws(MailError) -> Int32 {
        try check("creating \(path)") { open(path, O_CREAT | O_EXCL | O_CLOEXEC | flags, 0o600) }
    }

    static func writeAll(_ descriptor: Int32, _ bytes: [UInt8], path: String) throws(MailError) {
        var offset = 0
        while offset < bytes.count {
            let written = try check("writing \(path)") {
                bytes[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            }
            offset += written
        }
    }

    /// Reads from offset 0 to the end (at most `limit` bytes, keeping the last ones).
    static func readAll(_ descriptor: Int32, limit: Int, path: String) throws(MailError) -> [UInt8] {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        var offset = 0
        while true {
            let count = try check("reading \(path)") {
                buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, off_t(offset)) }
            }
            if count == 0 { break }
            bytes += buffer[..<count]
            offset += count
            if bytes.count > limit { bytes.removeFirst(bytes.count - limit) }
        }
        return bytes
    }

    /// A random lower-case hex string with `bytes` bytes of entropy, for unique file names.
    static func randomHex(bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<bytes).map { _ in
            let byte = UInt8.random(in: 0...255, using: &generator)
            return (byte < 16 ? "0" : "") + String(byte, radix: 16)
        }.joined()
    }

    /// Runs blocking work on a Dispatch thread so it never stalls Swift's cooperative pool.
    static func offCooperativePool<Value: Sendable>(_ work: @escaping @Sendable () throws -> Value) async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try work() })
            }
        }
    }
}
