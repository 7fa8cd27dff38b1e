import ACME
import ArgumentParser
import Edge
import Foundation
import Glibc
import Hummingbird
import InternalAPIClient
import Logging
import Metrics
import PlatformConfig
import Prometheus
import ServiceLifecycle
import Systemd

/// `paastech edge`: the reverse proxy on 80/443 (paastech-edge.socket, fd names "http" and "https"),
/// routes from pomegranate's WatchRoutes and the API's aliases, certificates from ACME (or the local CA),
/// metrics and certificate status on its internal socket.
struct EdgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "edge",
                                                    abstract: "Serve apps on HTTP and HTTPS (reverse proxy, TLS, ACME).")

    @OptionGroup var config: ConfigurationOptions

    func run() async throws {
        let configuration = try config.load()
        let logger = Bootstrap.logging(identifier: "paastech-edge", configuration: configuration)
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let notifier = SystemdNotifier()
        let edge = configuration.edge

        let settings = EdgeSettings(edge)
        let platform = configuration.platform
        let routes = RouteTableStore(
            platform: ["console.\(platform.domain)": edge.consoleUpstream, "api.\(platform.domain)": configuration.api.listen],
            maxBodyBytes: settings.maxBodyBytes, logger: logger)
        let api = InternalAPIClient(socketPath: configuration.paths.apiInternalSocket)
        let certificates = try CertificateManager(
            mode: try Self.certificateMode(edge), store: try CertificateStore(directory: configuration.paths.edgeDirectory),
            isKnownHost: { routes.isRouted($0) }, logger: logger,
            onStatusChange: { status in
                // Only custom domains are recorded; the API answers false for generated names.
                _ = try? await api.reportCertificate(host: status.host, status: status.state.rawValue,
                                                     expiresAt: status.notAfter, error: status.lastError)
            })
        if certificates.localAuthority != nil {
            let path = LocalCertificateAuthority.certificatePath(in: certificates.store.directory)
            logger.notice("HTTPS certificates come from a local CA: trust it (curl --cacert) to avoid warnings", metadata: ["ca": "\(path)"])
        }

        let edgeMetrics = EdgeMetrics()
        let pomegranateSocket = configuration.paths.pomegranateSocket
        let sleeping = SleepingDeployments(routes: routes, logger: logger, wake: PomegranateSleep.wake(socketPath: pomegranateSocket))

        let (httpFD, httpsFD, internalFD) = try listeners(configuration)
        let challenges = certificates.challengeStore
        let services: [any Service] = [
            EdgeServer(httpSocket: httpFD, httpsSocket: httpsFD, routes: routes, settings: settings,
                       challengeAnswer: { challenges.keyAuthorization(forToken: $0) },
                       certificates: { name in
                           let served = certificates.serverCertificate(forServerName: name)
                           return (served.chain, served.privateKey)
                       },
                       metrics: edgeMetrics, sleeping: sleeping, logger: logger,
                       beforeListening: {
                           // Pomegranate's routes and the API's aliases first; not forever: the console and ACME
                           // challenges must be served even while they are down.
                           if await !routes.waitUntilLoaded(within: .seconds(3)) {
                               logger.notice("Serving before the route tables arrived (is pomegranate or the API down?); apps may get 404 until they do")
                           }
                       },
                       onListening: { _ in
                           try? notifier.ready()
                           try? notifier.status("serving")
                       }),
            PomegranateRouteWatcher(socketPath: pomegranateSocket, routes: routes, logger: logger),
            ActivityReporter(sleeping: sleeping, report: PomegranateSleep.reportActivity(socketPath: pomegranateSocket)),
            APIAliasWatcher(client: api, routes: routes, logger: logger),
            certificates,
            PeriodicService(.startOfEveryMinute) { edgeMetrics.closeMinute(endingAt: Date()) },
            ActivatedHTTPServer(router: Self.internalRouter(metrics: registry, traffic: edgeMetrics, certificates: certificates),
                                socket: internalFD, logger: logger),
            WatchdogService(notifier: notifier, logger: logger),
        ]
        let group = ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
        try? notifier.stopping()
    }

    static func certificateMode(_ edge: PlatformConfiguration.Edge) throws -> CertificateManager.Mode {
        switch edge.certificates {
        case .acme:
            let roots = edge.acmeCAFile.isEmpty ? nil : try String(contentsOfFile: edge.acmeCAFile, encoding: .utf8)
            return .acme(.init(directoryURL: edge.acmeDirectory, contact: edge.acmeEmail.isEmpty ? [] : ["mailto:\(edge.acmeEmail)"],
                               additionalTrustRootsPEM: roots))
        case .local: return .localCA
        case .selfSigned: return .selfSignedOnly
        }
    }

    /// `GET /metrics` (Prometheus), `GET /internal/v1/certificates` (each host's certificate state) and
    /// `GET /internal/v1/traffic/<deployment>` (its last hour, minute by minute, for the console).
    static func internalRouter(metrics: PrometheusCollectorRegistry, traffic: EdgeMetrics,
                               certificates: CertificateManager) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("internal/v1/traffic/:deployment") { _, context in
            let minutes = traffic.traffic(of: context.parameters.get("deployment") ?? "")
            let data = try JSONEncoder().encode(["minutes": minutes])
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
        router.get("metrics") { _, _ in
            var buffer: [UInt8] = []
            metrics.emit(into: &buffer)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                            body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
        }
        router.get("internal/v1/certificates") { _, _ in
            let formatter = ISO8601DateFormatter()
            let items = certificates.statuses().map { status -> [String: String] in
                var item = ["host": status.host, "status": status.state.rawValue]
                if let notAfter = status.notAfter { item["expires_at"] = formatter.string(from: notAfter) }
                if let error = status.lastError { item["error"] = error }
                return item
            }
            let data = try JSONSerialization.data(withJSONObject: ["certificates": items], options: [.sortedKeys])
            return Response(status: .ok, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
        return router
    }

    /// The activated sockets "http", "https" and "internal", or bound from the configuration.
    private func listeners(_ configuration: PlatformConfiguration) throws -> (Int32, Int32, Int32) {
        let activated = try SocketActivation.takeListeners()
        func tcp(_ name: String, _ address: String) throws -> Int32 {
            if let socket = activated.first(where: { $0.name == name }) { return socket.fd }
            let (host, port) = try HostPort.parse(address)
            // paastech-edge.socket listens on 80 and 443 under one name: each is known by its port.
            if let socket = activated.first(where: { ListeningSocket.localPort($0.fd) == port }) { return socket.fd }
            return try ListeningSocket.bindTCP(host: host, port: port, backlog: 4096)
        }
        let http = try tcp("http", configuration.edge.httpListen)
        let https = try tcp("https", configuration.edge.httpsListen)
        let internalFD = try activated.first(where: { $0.name == "internal" })?.fd ?? {
            let path = configuration.paths.edgeSocket
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            return try ListeningSocket.bindUnix(path: path, mode: 0o600)
        }()
        return (http, https, internalFD)
    }
}
