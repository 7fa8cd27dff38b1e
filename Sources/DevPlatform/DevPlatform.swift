import Credentials
import Foundation
import Logging
import PlatformConfig
import Postgres
import ServiceLifecycle
import Store
import Systemd

/// `paastech dev`: the whole platform in the foreground without systemd. It runs a private
/// PostgreSQL, applies the migrations, binds the listening sockets itself and starts each daemon
/// as a child handed its sockets exactly as systemd socket activation would.
public struct DevPlatform: Sendable {
    public let layout: DevLayout
    public let ports: DevPorts
    public let sandboxes: DevSandboxes
    /// The multi-call binary to start the daemons from.
    public let executable: String
    let logger: Logger

    public init(stateDirectory: String, ports: DevPorts = DevPorts(), sandboxes: DevSandboxes = DevSandboxes(),
                executable: String, logger: Logger) {
        layout = DevLayout(stateDirectory: stateDirectory)
        self.ports = ports
        self.sandboxes = sandboxes
        self.executable = executable
        self.logger = logger
    }

    /// Runs until SIGINT/SIGTERM, then stops the daemons and PostgreSQL.
    public func run() async throws {
        try createDirectories()
        let cluster = PostgresCluster(directory: layout.postgres)
        try cluster.start()
        do {
            let postgres = try await cluster.createDatabase(name: "paastech", poolSize: 4)
            let configuration = try writeConfiguration(database: postgres)
            let summary = try await prepareDatabase(postgres, configuration: configuration)
            let daemons = try bindDaemons(configuration: configuration)
            try writeSummary(summary)
            // Unbuffered: the banner must show even when stdout is a file.
            FileHandle.standardOutput.write(Data(Self.banner(summary).utf8))
            let group = ServiceGroup(
                services: daemons,
                gracefulShutdownSignals: [.sigint, .sigterm],
                cancellationSignals: [],
                logger: logger)
            try await group.run()
        } catch {
            try? cluster.stop()
            throw error
        }
        try cluster.stop()
        logger.info("dev platform stopped")
    }

    private func createDirectories() throws {
        for directory in [layout.root, layout.state, layout.run, layout.mail] {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        }
        // The internal API socket lives here; nobody else needs to list it.
        chmod(layout.run.path, 0o755)
    }

    /// The dev configuration file every daemon reads (`PAASTECH_CONFIG`): the production file's
    /// keys pointed at the state directory.
    private func writeConfiguration(database: PostgresConfiguration) throws -> PlatformConfiguration {
        let user = currentUserName()
        let text = """
            # Written by `paastech dev` at every start; edit the flags, not this file.
            [paths]
            state_dir = \(toml(layout.state.path))
            run_dir = \(toml(layout.run.path))

            [database]
            conninfo = \(toml(database.conninfo))
            pool_size = 4

            [platform]
            domain = "localhost"
            console_url = \(toml("http://console.localhost:\(ports.http)"))

            [api]
            listen = \(toml("\(ports.host):\(ports.api)"))
            internal_allowed_users = [\(toml(user))]

            [mail]
            spool_dir = \(toml(layout.mail.path))

            [log]
            level = "info"

            [git]
            listen = \(toml("\(ports.host):\(ports.ssh)"))
            remote_host = \(toml(ports.host))
            remote_port = \(ports.ssh)

            [pomegranate]
            bridge = \(toml(sandboxes.bridge))
            subnet = \(toml(sandboxes.subnet))
            firewall_table = \(toml(sandboxes.name))
            cgroup_subtree = \(toml(sandboxes.name))
            uid_first = \(sandboxes.firstUID)

            [edge]
            http_listen = \(toml("\(ports.host):\(ports.http)"))
            https_listen = \(toml("\(ports.host):\(ports.https)"))
            public_http_port = \(ports.http)
            public_https_port = \(ports.https)
            redirect_http = false
            certificates = "local"
            console_upstream = \(toml("\(ports.host):\(ports.console)"))

            [web]
            listen = \(toml("\(ports.host):\(ports.console)"))
            api_url = \(toml("http://\(ports.host):\(ports.api)"))

            """
        try text.write(to: layout.configuration, atomically: true, encoding: .utf8)
        return try PlatformConfiguration.parse(text, file: layout.configuration.path)
    }

    /// Migrates, and makes sure the admin account exists with the password recorded in dev.json.
    private func prepareDatabase(_ postgres: PostgresConfiguration, configuration: PlatformConfiguration) async throws -> DevSummary {
        let database = PostgresClient(configuration: postgres, logger: logger)
        defer { database.close() }
        try await Migrator(database: database, logger: logger).migrate()
        let store = PlatformStore(database: database)
        let previous = try? JSONDecoder().decode(DevSummary.self, from: Data(contentsOf: layout.summary))
        let hasher = PasswordHasher()
        let admin: DevSummary.Admin
        if let previous, let existing = try await store.credentials(login: previous.admin.username),
           await hasher.verify(previous.admin.password, against: existing.passwordHash) {
            admin = previous.admin
        } else {
            let password = AdminAccounts.generatePassword()
            admin = DevSummary.Admin(username: "admin", email: "admin@paastech.localhost", password: password)
            try await AdminAccounts(store: store).ensureAdmin(username: admin.username, email: admin.email, password: password)
        }
        return DevSummary(
            apiURL: "http://\(ports.host):\(ports.api)",
            gitURL: geteuid() == 0 ? "ssh://git@\(ports.host):\(ports.ssh)" : nil,
            apiInternalSocket: layout.apiInternalSocket.path,
            databaseConnectionInfo: postgres.conninfo,
            mailDirectory: layout.mail.path,
            configurationFile: layout.configuration.path,
            admin: admin,
            appsURL: "http://<deployment>.<project>.\(configuration.platform.appsDomain):\(ports.http)",
            localCA: layout.state.appendingPathComponent("edge/local-ca.pem").path,
            edgeSocket: configuration.paths.edgeSocket, consoleURL: configuration.platform.consoleURL)
    }

    /// Binds every daemon's sockets here, before any child starts, so that a client connecting
    /// early waits in the backlog instead of failing — the point of socket activation.
    private func bindDaemons(configuration: PlatformConfiguration) throws -> [any Service] {
        let environment = ["PAASTECH_CONFIG": layout.configuration.path]
        let api = DaemonProcess(
            name: "api", executable: executable, arguments: ["api"], environment: environment,
            sockets: [
                .init(fd: try ListeningSocket.bindTCP(host: ports.host, port: ports.api), name: "api"),
                .init(fd: try ListeningSocket.bindUnix(path: layout.apiInternalSocket.path, mode: 0o660), name: "internal"),
            ],
            logger: logger)
        let edge = DaemonProcess(
            name: "edge", executable: executable, arguments: ["edge"], environment: environment,
            sockets: [
                .init(fd: try ListeningSocket.bindTCP(host: ports.host, port: ports.http, backlog: 4096), name: "http"),
                .init(fd: try ListeningSocket.bindTCP(host: ports.host, port: ports.https, backlog: 4096), name: "https"),
                .init(fd: try ListeningSocket.bindUnix(path: configuration.paths.edgeSocket, mode: 0o600), name: "internal"),
            ],
            logger: logger)
        let web = DaemonProcess(
            name: "web", executable: executable, arguments: ["web"], environment: environment,
            sockets: [.init(fd: try ListeningSocket.bindTCP(host: ports.host, port: ports.console), name: "web")],
            logger: logger)
        // Sandboxes need root (namespaces, cgroups, the bridge); without it the platform runs without apps,
        // and without apps there is nothing to push to.
        guard geteuid() == 0 else {
            logger.warning("not root: pomegranate (builds and apps), the repo manager and gitd are not started")
            return [api, web, edge]
        }
        let pomegranate = DaemonProcess(
            name: "pomegranate", executable: executable, arguments: ["pomegranate"], environment: environment,
            sockets: [.init(fd: try ListeningSocket.bindUnix(path: configuration.paths.pomegranateSocket, mode: 0o600),
                            name: "pomegranate")],
            logger: logger)
        let repoManager = DaemonProcess(
            name: "repo-manager", executable: executable, arguments: ["repo-manager"], environment: environment,
            sockets: [.init(fd: try ListeningSocket.bindUnix(path: configuration.paths.repoManagerSocket, mode: 0o600),
                            name: "repo-manager")],
            logger: logger)
        let gitd = DaemonProcess(
            name: "gitd", executable: executable, arguments: ["gitd"], environment: environment,
            sockets: [.init(fd: try ListeningSocket.bindTCP(host: ports.host, port: ports.ssh), name: "gitd")],
            logger: logger)
        return [api, pomegranate, repoManager, gitd, web, edge]
    }

    private func writeSummary(_ summary: DevSummary) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(summary).write(to: layout.summary, options: .atomic)
        chmod(layout.summary.path, 0o600)
    }

    static func banner(_ summary: DevSummary) -> String {
        """

        PaaSTech dev platform is running. Ctrl-C stops it (data is kept).
          console        \(summary.consoleURL ?? "-")   (log in as the admin below, or sign up)
          API            \(summary.apiURL)/v1   (OpenAPI: \(summary.apiURL)/v1/openapi.json)
          apps           \(summary.appsURL ?? "-")   (HTTPS on the edge's other port; CA: \(summary.localCA ?? "-"))
          git            \(summary.gitURL.map { "git remote add paastech \($0)/<user>/<project>.git" } ?? "not running (run as root)")
          internal API   \(summary.apiInternalSocket)
          mail           \(summary.mailDirectory)
          admin          \(summary.admin.username) / \(summary.admin.password)
          log in         curl -s \(summary.apiURL)/v1/auth/login -H 'Content-Type: application/json' \\
                           -d '{"login":"\(summary.admin.username)","password":"\(summary.admin.password)"}'
          all of this    \(summary.configurationFile.replacingOccurrences(of: "paastech.toml", with: "dev.json"))

        """
    }
}

/// A TOML basic string literal.
func toml(_ value: String) -> String {
    var escaped = "\""
    for scalar in value.unicodeScalars {
        switch scalar {
        case "\"": escaped += "\\\""
        case "\\": escaped += "\\\\"
        case "\n": escaped += "\\n"
        case "\t": escaped += "\\t"
        default:
            if scalar.value < 0x20 || scalar.value == 0x7F {
                escaped += String(format: "\\u%04X", scalar.value)
            } else {
                escaped.unicodeScalars.append(scalar)
            }
        }
    }
    return escaped + "\""
}

func currentUserName() -> String {
    getpwuid(geteuid()).flatMap { String(validatingCString: $0.pointee.pw_name) } ?? "root"
}
