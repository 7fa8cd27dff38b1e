import ArgumentParser
import Logging
import ServiceLifecycle
import Systemd
import WebConsole

/// `paastech web`: the web console, socket-activated by paastech-web.socket (fd name "web"), or on
/// `[web] listen` when started by hand. The edge serves it at `console.<domain>`.
struct WebCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "web", abstract: "Serve the web console.")

    @OptionGroup var config: ConfigurationOptions

    func run() async throws {
        let configuration = try config.load()
        let logger = Bootstrap.logging(identifier: "paastech-web", configuration: configuration)
        let notifier = SystemdNotifier()
        let console = try WebConsole(apiURL: configuration.web.apiURL, logger: logger)
        let socket = try SocketActivation.takeListeners().first?.fd ?? {
            let (host, port) = try HostPort.parse(configuration.web.listen)
            return try ListeningSocket.bindTCP(host: host, port: port)
        }()
        let services: [any Service] = [
            ActivatedHTTPServer(router: console.router(), socket: socket, logger: logger, onServerRunning: { _ in
                try? notifier.ready()
                try? notifier.status("serving")
            }),
            WatchdogService(notifier: notifier, logger: logger),
        ]
        let group = ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
        try? notifier.stopping()
    }
}
