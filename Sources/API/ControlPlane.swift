import Credentials
import Foundation
import Hummingbird
import Logging
import Mail
import PlatformConfig
import Postgres
import Store

/// Everything the API's routes need, assembled once at start-up.
public struct ControlPlane: Sendable {
    public let store: PlatformStore
    public let configuration: PlatformConfiguration
    let mailer: any Mailer
    let agents: PlatformAgents
    let passwords = PasswordHasher()
    let loginThrottle: LoginThrottle
    let logger: Logger

    /// - Parameter agents: The repo manager and Pomegranate; by default at the configured sockets.
    public init(store: PlatformStore, configuration: PlatformConfiguration, mailer: any Mailer, agents: PlatformAgents? = nil,
                logger: Logger) {
        self.store = store
        self.configuration = configuration
        self.mailer = mailer
        self.agents = agents ?? PlatformAgents(paths: configuration.paths)
        self.logger = logger
        loginThrottle = LoginThrottle(maxFailures: configuration.api.loginMaxFailures,
                                      window: .seconds(configuration.api.loginWindowSeconds))
    }

    /// The mailer the configuration asks for: a spool directory in dev mode, sendmail otherwise.
    public static func mailer(for configuration: PlatformConfiguration.Mail) -> any Mailer {
        configuration.spoolDirectory.isEmpty
            ? SendmailMailer(argv: configuration.sendmail, from: configuration.from)
            : SpoolDirectoryMailer(directory: URL(fileURLWithPath: configuration.spoolDirectory), from: configuration.from)
    }

    /// The router of the public API (`/v1/...`), served on TCP and behind the edge.
    public func publicRouter() -> Router<APIRequestContext> {
        let router = Router(context: APIRequestContext.self)
        // Outermost, so that every answer (errors included) is counted by status and route.
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: ErrorMappingMiddleware())
        router.add(middleware: AuthenticationMiddleware(store: store, trustedProxies: Set(configuration.api.trustedProxies)))
        let v1 = router.group("v1")
        addMetaRoutes(to: v1)
        addAuthRoutes(to: v1.group("auth"))
        addAccountRoutes(to: v1)
        addProjectRoutes(to: v1)
        addReleaseRoutes(to: v1)
        addRuntimeRoutes(to: v1)
        addMetricsRoutes(to: v1)
        addDomainRoutes(to: v1)
        let admin = v1.group("admin")
        addAdminRoutes(to: admin)
        addPlatformRoutes(to: admin)
        return router
    }

    /// Links in e-mails point at the console.
    func consoleLink(_ path: String, token: String) -> String {
        var base = configuration.platform.consoleURL
        while base.hasSuffix("/") { base.removeLast() }
        return "\(base)\(path)?token=\(token)"
    }

    /// Sends a mail, logging instead of failing the request: the account change already happened
    /// and the user can ask for the mail again.
    func send(_ message: MailMessage) async {
        do {
            try await mailer.send(message)
        } catch {
            logger.error("could not send mail", metadata: ["to": "\(message.to)", "error": "\(error)"])
        }
    }

    /// Records `action` by the caller (or by `actor`, for requests that authenticate as they go,
    /// like login or e-mail verification).
    func audit(_ context: APIRequestContext, _ action: String, actor: User? = nil, target: String = "",
               details: [String: String] = [:]) async {
        do {
            try await store.audit(actor: actor ?? context.authentication?.user, action: action, target: target,
                                  remoteAddress: context.clientAddress, details: details)
        } catch {
            logger.error("could not write the audit log", metadata: ["action": "\(action)", "error": "\(error)"])
        }
    }
}
