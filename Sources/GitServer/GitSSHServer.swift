import Foundation
import Glibc
import InternalAPIClient
import Logging
import PlatformConfig
import ServiceLifecycle

/// `paastech gitd`: an SSH server that accepts exactly one thing, `git push` to a project the key's owner
/// owns, and runs `git receive-pack` on its bare repository.
///
/// - Authentication: public keys only, looked up by fingerprint through the API's internal socket.
/// - The one command: `git-receive-pack '<user>/<project>.git'`; shells, other commands, fetches,
///   subsystems, forwarding and environment variables other than `GIT_PROTOCOL` are refused with one line
///   on stderr and exit status 1.
/// - Limits from `[git]`: connections at once, authentication attempts, login grace, session time, push size.
///
/// It serves a socket that is already listening (socket activation, or bound by the caller). Each
/// connection runs on a thread of its own (libssh is synchronous). Graceful shutdown stops accepting,
/// closes connections that are not pushing and lets running pushes finish; cancellation ends them all.
public struct GitSSHServer: Service {
    private let listeningSocket: Int32
    private let binding: SSHBinding
    private let settings: ConnectionSettings
    private let logger: Logger

    /// `SHA256:...` fingerprints of the host keys (ed25519, then rsa), as clients show them.
    public let hostKeyFingerprints: [String]

    /// Loads the host keys from `configuration.paths.gitHostKeysDirectory`, generating them on first start.
    /// - Parameters:
    ///   - configuration: `[git]` limits, `[paths]` for the host keys and the repositories.
    ///   - listeningSocket: A listening TCP socket; the server owns it and closes it when it stops.
    ///   - api: The API's internal socket, to look keys and projects up.
    ///   - logger: One line per connection (who, which project, accepted or refused and why).
    ///   - configurationPath: Given to receive-pack's hooks as `PAASTECH_CONFIG` (nil: not set, so they read
    ///     the default file); by default this process's own `PAASTECH_CONFIG`.
    /// - Throws: ``GitServerError`` when the host keys cannot be created or read, or git is not installed.
    public init(
        configuration: PlatformConfiguration,
        listeningSocket: Int32,
        api: InternalAPIClient,
        logger: Logger,
        configurationPath: String? = ProcessInfo.processInfo.environment["PAASTECH_CONFIG"]
    ) throws {
        let hostKeys = try HostKeys.loadOrGenerate(directory: configuration.paths.gitHostKeysDirectory)
        binding = try SSHBinding(hostKeyPaths: hostKeys.paths)
        hostKeyFingerprints = hostKeys.fingerprints
        self.listeningSocket = listeningSocket
        self.logger = logger
        settings = ConnectionSettings(
            limits: configuration.git,
            repositoriesDirectory: configuration.paths.repositoriesDirectory,
            gitExecutable: try Self.findGit(),
            configurationPath: configurationPath,
            api: api,
            registry: ConnectionRegistry(limit: configuration.git.maxConnections),
            logger: logger)
    }

    /// Serves until graceful shutdown (then waits for running pushes) or cancellation (then ends them).
    public func run() async throws {
        let acceptor = try ConnectionAcceptor(listeningSocket: listeningSocket, binding: binding, settings: settings)
        let registry = settings.registry
        logger.info("serving git pushes over SSH", metadata: [
            "host_keys": "\(hostKeyFingerprints.joined(separator: " "))",
            "max_connections": "\(settings.limits.maxConnections)",
        ])
        let failure = await withTaskCancellationHandler {
            let failure = await withGracefulShutdownHandler {
                await acceptor.waitUntilStopped()
            } onGracefulShutdown: {
                registry.drain()
                acceptor.stop()
            }
            if failure != nil { registry.drain() }
            if registry.activeCount > 0 {
                logger.info("waiting for running pushes to finish", metadata: ["connections": "\(registry.activeCount)"])
            }
            await registry.waitUntilIdle()
            return failure
        } onCancel: {
            registry.abort()
            acceptor.stop()
        }
        if let failure { throw failure }
    }

    /// git's path, found once: receive-pack runs as `git receive-pack <repository>`.
    private static func findGit() throws -> String {
        let candidates = ["/usr/bin/git", "/usr/local/bin/git", "/bin/git"]
        guard let git = candidates.first(where: { access($0, X_OK) == 0 }) else {
            throw GitServerError(operation: "find git (looked in \(candidates.joined(separator: ", ")))", reason: "not installed",
                                 hint: "install it: apt-get install git")
        }
        return git
    }
}
