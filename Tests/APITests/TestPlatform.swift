import API
import DevPlatform
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Mail
import NIOCore
import PlatformConfig
import Postgres
import RepoManager
import Store
import Systemd
import Testing

/// A real API on a fresh migrated database, served over real HTTP on a loopback port, with
/// mail going to a spool directory the tests read.
struct TestPlatform {
    let controlPlane: ControlPlane
    let store: PlatformStore
    let mailDirectory: URL
    /// The real repo manager's store (served in-process over its Unix socket during ``withClient(_:)``).
    let repositories: RepositoryStore
    let repoManagerSocket: String

    static func make(_ adjust: (inout PlatformConfiguration) -> Void = { _ in }) async throws -> TestPlatform {
        let logger = Logger(label: "api-test")
        let database = PostgresClient(configuration: try await PostgresCluster.shared(), logger: logger)
        try await Migrator(database: database, logger: logger).migrate()
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("paastech-api-\(UUID().uuidString)")
        let mailDirectory = base.appendingPathComponent("mail")
        let runDirectory = base.appendingPathComponent("run")
        for directory in [mailDirectory, runDirectory] {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        }
        var configuration = PlatformConfiguration()
        configuration.mail.spoolDirectory = mailDirectory.path
        // The repo manager's socket and repositories in the same temporary tree; Pomegranate is not running
        // here (its socket does not exist), so only projects without deployments can be deleted.
        configuration.paths.runDirectory = runDirectory.path
        configuration.paths.stateDirectory = base.path
        configuration.platform.consoleURL = "http://console.test"
        adjust(&configuration)
        let store = PlatformStore(database: database)
        let controlPlane = ControlPlane(store: store, configuration: configuration,
                                        mailer: ControlPlane.mailer(for: configuration.mail), logger: logger)
        return TestPlatform(controlPlane: controlPlane, store: store, mailDirectory: mailDirectory,
                            repositories: RepositoryStore(directory: configuration.paths.repositoriesDirectory, hookCommand: "/bin/true"),
                            repoManagerSocket: configuration.paths.repoManagerSocket)
    }

    /// Runs `body` against the API served live on 127.0.0.1, with the repo manager serving.
    func withClient(_ body: @Sendable (APIClient) async throws -> Void) async throws {
        try? FileManager.default.removeItem(atPath: repoManagerSocket)
        let socket = try ListeningSocket.bindUnix(path: repoManagerSocket, mode: 0o600)
        let repoManager = RepoManagerServer(service: RepoManagerService(store: repositories, logger: Logger(label: "repo-manager-test")),
                                            socket: socket)
        let serving = Task { try await repoManager.run() }
        defer { serving.cancel() }
        let app = Application(router: controlPlane.publicRouter(),
                              configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            try await body(APIClient(client: client, platform: self))
        }
    }

    /// The single-use token of the newest `/verify-email` (or other `link`) mail sent to `address`.
    func tokenFromMail(to address: String, link: String = "verify-email") throws -> String {
        let files = try FileManager.default.contentsOfDirectory(at: mailDirectory, includingPropertiesForKeys: [.contentModificationDateKey])
        let mails = try files.map { (try String(contentsOf: $0, encoding: .utf8), $0.lastPathComponent) }
            .filter { $0.0.contains("To: \(address)") && $0.0.contains("/\(link)?token=") }
            .sorted { $0.1 < $1.1 }
        let text = try #require(mails.last?.0, "no mail to \(address)")
        let range = try #require(text.range(of: #"token=ptn_[A-Za-z0-9_-]+"#, options: .regularExpression))
        return String(text[range].dropFirst("token=".count))
    }
}

/// A JSON client over HummingbirdTesting's live client.
struct APIClient: Sendable {
    let client: any TestClientProtocol
    let platform: TestPlatform

    struct Reply: Sendable {
        var status: HTTPResponse.Status
        var headers: HTTPFields
        var body: String
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:] }
        var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
        var items: [[String: Any]] { json["items"] as? [[String: Any]] ?? [] }
    }

    func request(_ method: HTTPRequest.Method, _ path: String, token: String? = nil, json: [String: Any]? = nil,
                 rawBody: String? = nil, headers extra: HTTPFields = [:]) async throws -> Reply {
        var headers = extra
        if let token { headers[.authorization] = "Bearer \(token)" }
        var body: ByteBuffer?
        if let json {
            headers[.contentType] = headers[.contentType] ?? "application/json"
            body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json))
        } else if let rawBody {
            body = ByteBuffer(string: rawBody)
        }
        let response = try await client.execute(uri: path, method: method, headers: headers, body: body)
        return Reply(status: response.status, headers: response.headers, body: String(buffer: response.body))
    }

    /// Signs a user up, verifies the e-mail through the mailed link and logs in: returns the session token.
    @discardableResult
    func signUpAndLogIn(_ username: String, password: String = "correct horse battery") async throws -> String {
        let email = "\(username)@example.com"
        let signup = try await request(.post, "/v1/auth/signup", json: ["username": username, "email": email, "password": password])
        #expect(signup.status == .created, "\(signup.body)")
        let verify = try await request(.post, "/v1/auth/verify-email", json: ["token": try platform.tokenFromMail(to: email)])
        #expect(verify.status == .ok, "\(verify.body)")
        return try await logIn(username, password: password)
    }

    func logIn(_ login: String, password: String = "correct horse battery") async throws -> String {
        let reply = try await request(.post, "/v1/auth/login", json: ["login": login, "password": password])
        #expect(reply.status == .ok, "\(reply.body)")
        return try #require(reply.json["token"] as? String)
    }

    /// Logs in the administrator created directly in the store.
    func adminToken() async throws -> String {
        _ = try await AdminAccounts(store: platform.store).createUser(username: "root-admin", email: "admin@example.com",
                                                                       password: "admin password 123", isAdmin: true)
        return try await logIn("root-admin", password: "admin password 123")
    }
}
