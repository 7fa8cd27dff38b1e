import Foundation
import Synchronization

/// A release's build output, kept next to its build as `<releases>/<deployment-uuid>/v<N>.build.log` (0600:
/// builds print what they like) and recorded in the release row; pruned with the release.
final class BuildLog: Sendable {
    let path: String
    private let handle = Mutex<FileHandle?>(nil)
    private let written = Atomic<Bool>(false)

    init(deploymentDirectory: String, release: String) {
        path = Self.path(deploymentDirectory: deploymentDirectory, release: release)
    }

    static func path(deploymentDirectory: String, release: String) -> String {
        deploymentDirectory + "/" + release + ".build.log"
    }

    /// Where the log is, once something was written to it.
    var recordedPath: String? { written.load(ordering: .acquiring) ? path : nil }

    /// Appends one line; a log that cannot be written is given up on (the pusher saw the line anyway).
    func append(_ line: String) {
        handle.withLock { handle in
            if handle == nil, !written.load(ordering: .acquiring) {
                FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
                handle = FileHandle(forWritingAtPath: path)
                written.store(handle != nil, ordering: .releasing)
            }
            try? handle?.write(contentsOf: Data((line + "\n").utf8))
        }
    }
}
