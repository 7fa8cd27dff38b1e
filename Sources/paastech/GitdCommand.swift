import ArgumentParser
import Foundation
import GitServer
import InternalAPIClient
import Logging
import PlatformConfig
import ServiceLifecycle
import Systemd

/// `paastech gitd`: the SSH git server, normally socket-activated by paastech-gitd.socket (TCP 2222, fd
/// name "gitd"); started by hand it binds `[git] listen` itself.
struct GitdCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "gitd", abstract: "Serve git pushes over SSH.")

    @OptionGroup var config: ConfigurationOptions

    func run() async throws {
        let configuration = try config.load()
        let logger = Bootstrap.logging(identifier: "paastech-gitd", configuration: configuration)
        let notifier = SystemdNotifier()
        let socket = try Self.listener(configuration, logger: logger)
        try? notifier.status("loading the host keys")
        // The hooks git runs read the same configuration file as this daemon.
        let server = try GitSSHServer(configuration: configuration, listeningSocket: socket,
                                      api: InternalAPIClient(socketPath: configuration.paths.apiInternalSocket), logger: logger,
                                      configurationPath: config.path ?? ProcessInfo.processInfo.environment["PAASTECH_CONFIG"])
        let services: [any Service] = [server, WatchdogService(notifier: notifier, logger: logger)]
        // The socket listens already: connections queue until the server takes them.
        try? notifier.ready()
        try? notifier.status("serving git pushes")
        let group = ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
        try? notifier.stopping()
    }

    /// The activated socket named "gitd" (or the only one), else `[git] listen` bound here.
    static func listener(_ configuration: PlatformConfiguration, logger: Logger) throws -> Int32 {
        let activated = try SocketActivation.takeListeners()
        if let socket = activated.first(where: { $0.name == "gitd" }) ?? (activated.count == 1 ? activated.first : nil) {
            logger.info("listening on the activated socket", metadata: ["fd": "\(socket.fd)", "name": "\(socket.name)"])
            return socket.fd
        }
        let (host, port) = try HostPort.parse(configuration.git.listen)
        logger.info("listening", metadata: ["address": "\(configuration.git.listen)"])
        return try ListeningSocket.bindTCP(host: host, port: port)
    }
}
