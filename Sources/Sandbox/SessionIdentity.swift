import Foundation
import Glibc
import Systemd

/// Who a session in a sandbox runs as: the sandbox's uid and gid, its seccomp filter (or none, when
/// the sandbox was started without one) and its environment, which sessions start from.
///
/// Recorded at start; for an adopted sandbox read back from its init's `/proc/<pid>/status` and
/// `/proc/<pid>/environ`, which the init cannot change (it runs without capabilities).
struct SessionIdentity: Sendable {
    var uid: uid_t
    var gid: gid_t
    var seccomp: Bool
    var environment: [String: String]

    init(uid: uid_t, gid: gid_t, seccomp: Bool, environment: [String: String]) {
        self.uid = uid
        self.gid = gid
        self.seccomp = seccomp
        self.environment = environment
    }

    /// Reads the identity of a running sandbox's init.
    /// - Throws: `SystemCallError` when `/proc/<pid>` cannot be read (the process has gone).
    init(readingProcess pid: pid_t) throws(SystemCallError) {
        let status = try Self.read("/proc/\(pid)/status")
        var fields: [String: [String]] = [:]
        for line in String(decoding: status, as: UTF8.self).split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[String(line[..<colon])] = line[line.index(after: colon)...].split(whereSeparator: { $0 == "\t" || $0 == " " }).map(String.init)
        }
        // Uid: real effective saved filesystem; the init set all four to the project's.
        guard let uid = fields["Uid"]?.first.flatMap({ uid_t($0) }), let gid = fields["Gid"]?.first.flatMap({ gid_t($0) }) else {
            throw SystemCallError(operation: "parse Uid and Gid of /proc/\(pid)/status", errno: EINVAL)
        }
        self.uid = uid
        self.gid = gid
        seccomp = fields["Seccomp"]?.first == "2"
        var environment: [String: String] = [:]
        for entry in try Self.read("/proc/\(pid)/environ").split(separator: 0) {
            let text = String(decoding: entry, as: UTF8.self)
            guard let equals = text.firstIndex(of: "="), equals != text.startIndex else { continue }
            environment[String(text[..<equals])] = String(text[text.index(after: equals)...])
        }
        self.environment = environment
    }

    private static func read(_ path: String) throws(SystemCallError) -> [UInt8] {
        let fd = try SystemCall.retryingInterrupts("open(\(path))", hint: { $0 == ENOENT ? "the process has exited" : nil }) {
            open(path, O_RDONLY | O_CLOEXEC)
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = try SystemCall.retryingInterrupts("read(\(path))") {
                buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            }
            if count == 0 { return bytes }
            bytes += buffer[0..<count]
        }
    }
}
