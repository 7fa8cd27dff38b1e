import Foundation
import Glibc
import Systemd

/// This module's own system calls, beside the shared `SystemCall.retryingInterrupts` (Systemd).
extension SystemCall {
    /// Writes all of `bytes` to `fd` (a file under /proc/sys, a pipe).
    static func writeAll(_ fd: Int32, _ bytes: [UInt8], _ operation: @autoclosure () -> String) throws(SystemCallError) {
        var written = 0
        while written < bytes.count {
            // safe: the buffer is not empty while written < count, so it has a base address.
            let count = try retryingInterrupts(operation()) {
                bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, $0.count - written) }
            }
            written += count
        }
    }

    /// Makes a sysctl file such as `/proc/sys/net/ipv4/ip_forward` hold `text`, writing only when it holds
    /// something else: where the administrator set it already, a read-only /proc/sys (a container) is fine.
    static func ensureSysctl(_ path: String, _ text: String) throws(SystemCallError) {
        if let current = try? String(contentsOfFile: path, encoding: .utf8),
           current.trimmingCharacters(in: .whitespacesAndNewlines) == text { return }
        let fd = try retryingInterrupts("open(\(path)) to write \(text)", hint: sysctlHint) {
            open(path, O_WRONLY | O_CLOEXEC)
        }
        defer { closeQuietly(fd) }
        try writeAll(fd, Array(text.utf8), "write(\(path), \(text))")
    }

    private static func sysctlHint(_ errno: Int32) -> String? {
        switch errno {
        case EACCES, EPERM, EROFS: return "run as root, and outside a container whose /proc/sys is read-only"
        case ENOENT: return "the kernel lacks this setting"
        default: return nil
        }
    }
}
