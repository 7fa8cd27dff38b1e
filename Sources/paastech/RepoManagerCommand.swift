import ArgumentParser
import Foundation
import Glibc
import Logging
import PlatformConfig
import RepoManager
import ServiceLifecycle
import Systemd

/// `paastech repo-manager`: creates, describes and deletes the projects' bare repositories over gRPC
/// on a Unix socket (paastech-repo-manager.socket, fd name "repo-manager"), as user paastech-git.
struct RepoManagerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "repo-manager",
                                                    abstract: "Serve the repo manager (bare git repositories) over gRPC.")

    @OptionGroup var config: ConfigurationOptions

    @Option(help: "The executable every pre-receive hook runs as `<path> hook pre-receive` (default: this executable).")
    var hookExecutable: String?

    func run() async throws {
        let configuration = try config.load()
        let logger = Bootstrap.logging(identifier: "paastech-repo-manager", configuration: configuration)
        let notifier = SystemdNotifier()
        try Git.initialize()

        let store = RepositoryStore(directory: configuration.paths.repositoriesDirectory,
                                    hookCommand: try hookExecutable ?? Self.currentExecutable())
        try FileManager.default.createDirectory(atPath: store.directory, withIntermediateDirectories: true)
        let socket = try Self.listener(path: configuration.paths.repoManagerSocket, logger: logger)
        logger.info("serving", metadata: ["repositories": "\(store.directory)", "hook": "\(store.hookCommand)"])

        let services: [any Service] = [
            RepoManagerServer(service: RepoManagerService(store: store, logger: logger), socket: socket),
            WatchdogService(notifier: notifier, logger: logger),
        ]
        // The socket is bound and listening: connections queue until the server takes them.
        try? notifier.ready()
        try? notifier.status("serving \(store.directory)")
        let group = ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
        try? notifier.stopping()
    }

    /// systemd's socket named "repo-manager" (or the only one) if activated, else the configured path:
    /// mode 0660, group `paastech` when it exists, so the API (in that group) may connect and nobody else.
    static func listener(path: String, logger: Logger) throws -> Int32 {
        let activated = try SocketActivation.takeListeners()
        if let socket = activated.first(where: { $0.name == "repo-manager" }) ?? activated.first {
            return socket.fd
        }
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let fd = try ListeningSocket.bindUnix(path: path, mode: 0o600)
        if let group = getgrnam("paastech") {
            do {
                try SystemCall.retryingInterrupts("chown(\(path), group paastech)") { chown(path, getuid(), group.pointee.gr_gid) }
                try SystemCall.retryingInterrupts("chmod(\(path), 660)") { chmod(path, 0o660) }
            } catch {
                // Not a member of the group (a developer's own run): the socket stays ours alone (0600).
                logger.warning("cannot give group paastech access to the socket", metadata: ["error": "\(error)"])
            }
        }
        return fd
    }

    /// The running executable, as the kernel knows it. An upgrade replaces the file while we run, and the
    /// link then ends in " (deleted)": the path is still where the new executable is.
    static func currentExecutable() throws -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = try SystemCall.retryingInterrupts("readlink(/proc/self/exe)") {
            readlink("/proc/self/exe", &buffer, buffer.count - 1)
        }
        let path = String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let deleted = " (deleted)"
        return path.hasSuffix(deleted) ? String(path.dropLast(deleted.count)) : path
    }
}
