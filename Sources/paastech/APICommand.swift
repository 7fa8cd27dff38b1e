import API
import ArgumentParser
import Foundation
import Glibc
import Logging
import Metrics
import PlatformConfig
import Prometheus
import ServiceLifecycle
import Store
import Synchronization
import Systemd

/// `paastech api`: the JSON API, normally socket-activated by paastech-api.socket (public TCP,
/// fd name "api") and paastech-api-internal.socket (Unix, fd name "internal").
struct APICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "api", abstract: "Serve the JSON API.")

    @OptionGroup var config: ConfigurationOptions

    func run() async throws {
        let configuration = try config.load()
        let logger = Bootstrap.logging(identifier: "paastech-api", configuration: configuration)
        let metrics = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: metrics))

        let notifier = SystemdNotifier()
        try? notifier.status("migrating the database")
        let database = Bootstrap.database(configuration, logger: logger)
        try await Migrator(database: database, logger: logger).migrate()

        let controlPlane = ControlPlane(store: PlatformStore(database: database), configuration: configuration,
                                        mailer: ControlPlane.mailer(for: configuration.mail), logger: logger)
        let (publicFD, internalFD) = try listeners(configuration, logger: logger)
        // READY=1 only once migrations ran and both servers accept connections.
        let running = ReadinessCounter(expected: 2) {
            try? notifier.ready()
            try? notifier.status("serving")
        }
        let services: [any Service] = [
            ActivatedHTTPServer(router: controlPlane.publicRouter(), socket: publicFD, logger: logger,
                                onServerRunning: { _ in running.arrive() }),
            ActivatedHTTPServer(router: controlPlane.internalRouter(metrics: metrics), socket: internalFD, logger: logger,
                                onServerRunning: { _ in running.arrive() }),
            WatchdogService(notifier: notifier, logger: logger),
            ExpiredSessionCleanup(store: controlPlane.store, logger: logger),
        ]
        let group = ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
        try? notifier.stopping()
        database.close()
    }

    /// Adopts the activated sockets, or binds them from the configuration when started by hand.
    private func listeners(_ configuration: PlatformConfiguration, logger: Logger) throws -> (Int32, Int32) {
        let activated = try SocketActivation.takeListeners()
        var publicFD = activated.first { $0.name == "api" }?.fd
        var internalFD = activated.first { $0.name == "internal" }?.fd
        // Unnamed sockets (e.g. `systemd-socket-activate -l ...`): TCP is public, Unix is internal.
        for socket in activated where socket.name != "api" && socket.name != "internal" {
            if ListeningSocket.isUnixDomain(socket.fd) { internalFD = internalFD ?? socket.fd } else { publicFD = publicFD ?? socket.fd }
        }
        let publicSocket = try publicFD ?? {
            let (host, port) = try HostPort.parse(configuration.api.listen)
            return try ListeningSocket.bindTCP(host: host, port: port)
        }()
        let internalSocket = try internalFD ?? {
            let path = configuration.paths.apiInternalSocket
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            return try ListeningSocket.bindUnix(path: path, mode: 0o660)
        }()
        logger.info("listening", metadata: ["activated": "\(activated.count)"])
        return (publicSocket, internalSocket)
    }
}

/// Calls `action` once, when the `expected`-th participant arrives.
final class ReadinessCounter: Sendable {
    private let remaining: Mutex<Int>
    private let action: @Sendable () -> Void

    init(expected: Int, action: @escaping @Sendable () -> Void) {
        remaining = Mutex(expected)
        self.action = action
    }

    func arrive() {
        let isLast = remaining.withLock { count in
            count -= 1
            return count == 0
        }
        if isLast { action() }
    }
}

/// "127.0.0.1:8081" / "[::1]:8081".
enum HostPort {
    static func parse(_ text: String) throws -> (String, Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) else {
            throw ValidationError("expected host:port, got \(text)")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host, port)
    }
}
