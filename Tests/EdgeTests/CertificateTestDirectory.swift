import Foundation
import Glibc

/// A fresh directory under /tmp for one certificate test, removed by `remove()`.
struct CertificateTestDirectory {
    let path: String

    init() throws {
        var template = Array("/tmp/paastech-edge-certs-XXXXXX".utf8CString)
        guard let created = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw CertificateTestFailure("mkdtemp failed: errno \(errno)")
        }
        path = String(cString: created)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// The permission bits of `path` (`st_mode & 0o777`), or nil when it does not exist.
    static func mode(of path: String) -> mode_t? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        return status.st_mode & 0o777
    }

    /// Polls `condition` every 20 ms until it holds, for at most `timeout` (generous: the machine may be busy).
    static func eventually(
        _ what: String, timeout: Duration = .seconds(90), _ condition: () throws -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while try !condition() {
            guard ContinuousClock.now < deadline else { throw CertificateTestFailure("timed out waiting until \(what)") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
