import Foundation
import Glibc
import Logging
import RepoManager
import Systemd

/// A repository store in a fresh temporary directory, a pre-receive hook that records what git passes
/// it, the real gRPC server on a real Unix socket, and the real git command line.
struct RepoManagerHarness {
    let base: String
    let repositories: String
    /// The executable the hooks run: a script in a path with a space and a quote, to prove the hook quotes it.
    let hookCommand: String
    /// Where the recording hook appends its arguments and stdin.
    let hookLog: String
    let store: RepositoryStore

    init() throws {
        base = "/tmp/paastech-test-rm-\(UUID().uuidString.prefix(8).lowercased())"
        repositories = base + "/repos"
        hookLog = base + "/hook.log"
        let hookDirectory = base + "/hook bin"
        hookCommand = hookDirectory + "/it's \"recorder\" $HOME"
        try FileManager.default.createDirectory(atPath: hookDirectory, withIntermediateDirectories: true)
        try """
        #!/bin/sh
        { echo "args: $*"; cat; } >> '\(hookLog)'

        """.write(toFile: hookCommand, atomically: false, encoding: .utf8)
        try Self.check(chmod(hookCommand, 0o755), "chmod \(hookCommand)")
        store = RepositoryStore(directory: repositories, hookCommand: hookCommand)
    }

    /// Runs `body` while a RepoManagerServer serves this harness's store on a Unix socket; `body` gets
    /// the socket's path (for `RepoManagerConnection.withClient`). The server stops afterwards.
    func withServer<Result: Sendable>(_ body: (String) async throws -> Result) async throws -> Result {
        let socketPath = base + "/repo-manager.sock"
        let socket = try ListeningSocket.bindUnix(path: socketPath, mode: 0o600)
        let server = RepoManagerServer(service: RepoManagerService(store: store, logger: Logger(label: "repo-manager-test")),
                                       socket: socket)
        let serving = Task { try await server.run() }
        let result: Swift.Result<Result, any Error>
        do {
            result = .success(try await body(socketPath))
        } catch {
            result = .failure(error)
        }
        serving.cancel()
        _ = await serving.result
        return try result.get()
    }

    func removeAll() {
        try? FileManager.default.removeItem(atPath: base)
    }

    /// Runs the git command line with a private, empty configuration and a fixed identity.
    @discardableResult
    func git(_ arguments: [String], in directory: String? = nil) throws -> String {
        var environment = ProcessInfo.processInfo.environment
        for name in SystemdEnvironment.variablesToStrip { environment[name] = nil }
        environment["HOME"] = base
        environment["GIT_CONFIG_NOSYSTEM"] = "1"
        environment["GIT_AUTHOR_NAME"] = "Ada Lovelace"
        environment["GIT_AUTHOR_EMAIL"] = "ada@example.com"
        environment["GIT_COMMITTER_NAME"] = "Ada Lovelace"
        environment["GIT_COMMITTER_EMAIL"] = "ada@example.com"
        let result = try ProgramRun("/usr/bin/git", arguments, environment: environment, directory: directory).runBlocking()
        let text = result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        guard result.exitCode == 0 else {
            throw GitCommandFailed(arguments: arguments, status: result.exitCode ?? -1, stderr: result.stderrText)
        }
        return text
    }

    /// A work tree with a committed first version of a small app: a nested directory, an executable,
    /// a symlink and a binary file. Returns the work tree path.
    func makeWorkTree(remote: String) throws -> String {
        let work = base + "/work"
        try git(["init", "--quiet", "--initial-branch=main", work])
        try write("README.md", "# demo\n", in: work)
        try write("bin/start", "#!/bin/sh\nexec python3 -m http.server \"$PORT\"\n", in: work, mode: 0o755)
        try FileManager.default.createDirectory(atPath: work + "/src/nested/deep", withIntermediateDirectories: true)
        try Data((0...255).map { UInt8($0) } + [0, 0, 13, 10]).write(to: URL(fileURLWithPath: work + "/src/nested/deep/data.bin"))
        try FileManager.default.createSymbolicLink(atPath: work + "/src/readme-link", withDestinationPath: "nested/deep/data.bin")
        try git(["add", "--all"], in: work)
        try git(["commit", "--quiet", "--message", "First version"], in: work)
        try git(["remote", "add", "origin", "file://" + remote], in: work)
        return work
    }

    func write(_ relativePath: String, _ text: String, in directory: String, mode: mode_t = 0o644) throws {
        let path = directory + "/" + relativePath
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        try Self.check(chmod(path, mode), "chmod \(path)")
    }

    /// Creates `directory/<name>` where `name` is raw bytes (not necessarily UTF-8), holding `contents`.
    static func createFile(rawName: [UInt8], in directory: String, contents: String) throws {
        let path = Array(directory.utf8) + [UInt8(ascii: "/")] + rawName
        let fd = open(path.map { CChar(bitPattern: $0) } + [0], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SystemCallError(operation: "create a file with a raw name in \(directory)", errno: errno) }
        defer { close(fd) }
        let bytes = Array(contents.utf8)
        guard Glibc.write(fd, bytes, bytes.count) == bytes.count else { throw SystemCallError(operation: "write", errno: errno) }
    }

    /// The contents of `directory/<name>` where `name` is raw bytes, or nil when there is no such file.
    static func readFile(rawName: [UInt8], in directory: String) -> String? {
        let path = Array(directory.utf8) + [UInt8(ascii: "/")] + rawName
        let fd = open(path.map { CChar(bitPattern: $0) } + [0], O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = read(fd, &buffer, buffer.count)
        return count < 0 ? nil : String(decoding: buffer.prefix(count), as: UTF8.self)
    }

    /// Every entry below `root` (without `.git`): relative path → what it is and holds.
    static func snapshot(of root: String) throws -> [String: Entry] {
        var entries: [String: Entry] = [:]
        for relative in try FileManager.default.subpathsOfDirectory(atPath: root) where !relative.hasPrefix(".git") {
            let path = root + "/" + relative
            var status = stat()
            try check(lstat(path, &status), "lstat \(path)")
            switch status.st_mode & S_IFMT {
            case S_IFDIR: entries[relative] = .directory
            case S_IFLNK: entries[relative] = .symlink(try FileManager.default.destinationOfSymbolicLink(atPath: path))
            default:
                entries[relative] = .file(try Data(contentsOf: URL(fileURLWithPath: path)), executable: status.st_mode & 0o111 != 0)
            }
        }
        return entries
    }

    /// The permission bits of `path` (not following a symlink).
    static func mode(_ path: String) throws -> mode_t {
        var status = stat()
        try check(lstat(path, &status), "lstat \(path)")
        return status.st_mode & 0o7777
    }

    enum Entry: Equatable, CustomStringConvertible {
        case directory
        case file(Data, executable: Bool)
        case symlink(String)

        var description: String {
            switch self {
            case .directory: "directory"
            case .file(let data, let executable): "file of \(data.count) bytes\(executable ? ", executable" : "")"
            case .symlink(let target): "symlink to \(target)"
            }
        }
    }

    static func check(_ result: Int32, _ operation: String) throws {
        if result != 0 { throw SystemCallError(operation: operation, errno: errno) }
    }
}

/// The git command line failed.
struct GitCommandFailed: Error, CustomStringConvertible {
    let arguments: [String]
    let status: Int32
    let stderr: String

    var description: String { "git \(arguments.joined(separator: " ")) exited with \(status): \(stderr)" }
}
