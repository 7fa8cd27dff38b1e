import Foundation
import Glibc

/// A temporary file a sandbox writes its output to, read back while it runs.
final class OutputFile: Sendable {
    let path = "/tmp/paastech-sandbox-out-\(UUID().uuidString.prefix(8))"
    let fd: Int32

    init() {
        fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    }

    deinit {
        close(fd)
        unlink(path)
    }

    var contents: String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    /// Waits up to 5 s until the output contains `text`.
    func waitFor(_ text: String) async -> Bool {
        for _ in 0..<250 {
            if contents.contains(text) { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return false
    }
}
