import Glibc

/// Reading the kernel's generated files (`/proc`, `/sys`) whole.
///
/// Foundation's `String(contentsOfFile:)` stops after the first read of a file whose size reads as 0, as
/// these do: 4 KiB of `/proc/net/tcp` or `/proc/self/mountinfo`, a few dozen records, and the rest silently
/// missing. This reads to end of file.
public enum KernelFile {
    public static func read(_ path: String) throws(SystemCallError) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SystemCallError(operation: "open(\(path))", errno: errno) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw SystemCallError(operation: "read(\(path))", errno: errno) }
            if count == 0 { return String(decoding: bytes, as: UTF8.self) }
            bytes += buffer[..<count]
        }
    }
}
