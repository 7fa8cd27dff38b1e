import API
import Credentials
import DevPlatform
import Foundation
import GitServer
import Glibc
import InternalAPIClient
import Logging
import PlatformConfig
import Postgres
import Prometheus
import ServiceLifecycle
import Store
import Systemd
import Testing

/// A platform user with a real SSH key pair made by ssh-keygen.
struct TestUser: Sendable {
    var username: String
    var id: Int64
    var privateKey: String
    var fingerprint: String
}

/// Everything real: a fresh migrated PostgreSQL database, the API's internal router on a Unix socket, and
/// the git server on an ephemeral 127.0.0.1 port, with two users (alice owns project `site`, which has a
/// bare repository, and `empty`, which has none; bob owns nothing) and a key nobody registered.
struct GitServerHarness: Sendable {
    let directory: String
    let configuration: PlatformConfiguration
    let store: PlatformStore
    let alice: TestUser
    let bob: TestUser
    /// A key pair that is not registered with any user.
    let strangerKey: String
    let siteRepository: String
    let port: Int
    let server: GitSSHServer
    /// Begins graceful shutdown of the API and the git server (returns at once).
    let stop: @Sendable () async -> Void

    static let logger = Logger(label: "gitd-test")

    static func run(
        _ adjust: @Sendable (inout PlatformConfiguration) -> Void = { _ in },
        _ body: @Sendable (GitServerHarness) async throws -> Void
    ) async throws {
        let directory = "/tmp/paastech-gitd-\(UUID().uuidString.prefix(8).lowercased())"
        try FileManager.default.createDirectory(atPath: directory + "/run", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }

        var configuration = PlatformConfiguration()
        configuration.paths.stateDirectory = directory + "/state"
        configuration.paths.runDirectory = directory + "/run"
        configuration.api.internalAllowedUsers = [String(cString: getpwuid(geteuid()).pointee.pw_name)]
        configuration.git.maxPushMiB = 1
        adjust(&configuration)

        let database = PostgresClient(configuration: try await PostgresCluster.shared(), logger: logger)
        defer { database.close() }
        try await Migrator(database: database, logger: logger).migrate()
        let store = PlatformStore(database: database)

        let alice = try await makeUser("alice", store: store, directory: directory)
        let bob = try await makeUser("bob", store: store, directory: directory)
        let strangerKey = try await makeKeyPair("stranger", directory: directory).privateKey
        let site = try await store.createProject(userID: alice.id, name: "site")
        _ = try await store.createProject(userID: alice.id, name: "empty")
        let repositories = configuration.paths.repositoriesDirectory
        try FileManager.default.createDirectory(atPath: repositories, withIntermediateDirectories: true)
        let siteRepository = repositories + "/" + site.uuid.uuidString.lowercased() + ".git"
        try await git(["init", "--quiet", "--bare", "--initial-branch=main", siteRepository], home: directory)

        let controlPlane = ControlPlane(store: store, configuration: configuration,
                                        mailer: ControlPlane.mailer(for: configuration.mail), logger: logger)
        let apiSocket = try ListeningSocket.bindUnix(path: configuration.paths.apiInternalSocket, mode: 0o660)
        let api = ActivatedHTTPServer(router: controlPlane.internalRouter(metrics: PrometheusCollectorRegistry()),
                                      socket: apiSocket, logger: logger)
        let sshSocket = try ListeningSocket.bindTCP(host: "127.0.0.1", port: 0)
        let port = try localPort(of: sshSocket)
        let server = try GitSSHServer(configuration: configuration, listeningSocket: sshSocket,
                                      api: InternalAPIClient(socketPath: configuration.paths.apiInternalSocket), logger: logger,
                                      configurationPath: directory + "/paastech.toml")
        let group = ServiceGroup(configuration: .init(services: [api, server], logger: logger))
        let harness = GitServerHarness(
            directory: directory, configuration: configuration, store: store, alice: alice, bob: bob, strangerKey: strangerKey,
            siteRepository: siteRepository, port: port, server: server, stop: { await group.triggerGracefulShutdown() })

        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            do {
                try await body(harness)
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.next()
        }
    }

    // MARK: Clients

    /// `ssh` as the brief's GIT_SSH_COMMAND has it, with a key; `extra` goes before the destination.
    func sshArguments(key: String, _ extra: [String] = []) -> [String] {
        ["-i", key, "-p", String(port), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
         "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes"] + extra
    }

    /// Runs `ssh [options] git@127.0.0.1 [command]`.
    func ssh(key: String, _ options: [String] = [], command: [String] = [], timeout: Duration = .seconds(30)) async throws -> CommandResult {
        try await CommandRunner.run("/usr/bin/ssh", sshArguments(key: key, options) + ["git@127.0.0.1"] + command,
                                    environment: Self.environment(home: directory), timeout: timeout)
    }

    /// Runs git with GIT_SSH_COMMAND using `key` (and `sshOptions`).
    func git(_ arguments: [String], key: String, sshOptions: [String] = [], in workTree: String? = nil) async throws -> CommandResult {
        var environment = Self.environment(home: directory)
        // GIT_SSH_COMMAND is split by a shell in git; every word here is a fixed option or a path without spaces.
        environment["GIT_SSH_COMMAND"] = (["ssh"] + sshArguments(key: key, sshOptions)).joined(separator: " ")
        return try await CommandRunner.run("/usr/bin/git", arguments, environment: environment, directory: workTree)
    }

    /// `ssh://git@127.0.0.1:PORT/<path>`.
    func remote(_ path: String) -> String { "ssh://git@127.0.0.1:\(port)/\(path)" }

    /// A new local repository with one commit of `files` on `main`; returns its path and the commit.
    func makeWorkTree(_ name: String, files: [String: Data]) async throws -> (path: String, commit: String) {
        let path = directory + "/work-" + name
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        for (file, contents) in files {
            try contents.write(to: URL(fileURLWithPath: path + "/" + file))
        }
        try await Self.git(["init", "--quiet", "--initial-branch=main"], home: directory, in: path)
        try await Self.git(["add", "."], home: directory, in: path)
        try await Self.git(["commit", "--quiet", "-m", "first"], home: directory, in: path)
        let commit = try await Self.git(["rev-parse", "HEAD"], home: directory, in: path)
        return (path, commit)
    }

    /// Every ref of the site repository (`git for-each-ref`), to show that a refused push changed nothing.
    func siteRefs() async throws -> String {
        try await Self.git(["--git-dir", siteRepository, "for-each-ref"], home: directory)
    }

    /// A minimal environment: no agent, a private HOME, a fixed git identity, and the locale OpenSSH sends.
    static func environment(home: String) -> [String: String] {
        [
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": home,
            "LANG": "C.UTF-8",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "Ada Lovelace", "GIT_AUTHOR_EMAIL": "ada@example.com",
            "GIT_COMMITTER_NAME": "Ada Lovelace", "GIT_COMMITTER_EMAIL": "ada@example.com",
        ]
    }

    // MARK: Set-up steps

    @discardableResult
    static func git(_ arguments: [String], home: String, in directory: String? = nil) async throws -> String {
        let result = try await CommandRunner.run("/usr/bin/git", arguments, environment: environment(home: home), directory: directory)
        guard result.status == 0 else { throw HarnessError("git \(arguments.joined(separator: " ")) failed: \(result)") }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func makeKeyPair(_ name: String, directory: String) async throws -> (privateKey: String, publicKey: SSHPublicKey) {
        let path = directory + "/" + name + "_ed25519"
        let result = try await CommandRunner.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", path],
                                                 environment: environment(home: directory))
        guard result.status == 0 else { throw HarnessError("ssh-keygen failed: \(result)") }
        let line = try String(contentsOfFile: path + ".pub", encoding: .utf8)
        return (path, try SSHPublicKey(authorizedKeysLine: line))
    }

    static func makeUser(_ username: String, store: PlatformStore, directory: String) async throws -> TestUser {
        let user = try await store.createUser(username: username, email: "\(username)@example.com", passwordHash: "not-a-hash",
                                              emailVerified: true)
        let (privateKey, publicKey) = try await makeKeyPair(username, directory: directory)
        _ = try await store.addSSHKey(userID: user.id, value: publicKey.canonical, fingerprint: publicKey.fingerprint,
                                      keyType: publicKey.type.rawValue, comment: publicKey.comment)
        return TestUser(username: username, id: user.id, privateKey: privateKey, fingerprint: publicKey.fingerprint)
    }

    static func localPort(of fd: Int32) throws -> Int {
        guard let port = ListeningSocket.localPort(fd) else { throw HarnessError("getsockname failed: errno \(errno)") }
        return port
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
