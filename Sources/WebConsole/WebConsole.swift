import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import PlatformConfig

/// The web console (`paastech web`): server-rendered pages for users and administrators. It never touches
/// the database: every page is made from API calls carrying the visitor's own session, so it can do
/// exactly what that user may do through the API, and no more.
public struct WebConsole: Sendable {
    let api: ConsoleAPI
    let pages: PageRenderer
    let security: ConsoleSecurityMiddleware
    let logger: Logger

    /// - Parameter csrfKey: the key CSRF tokens are derived with (random per start unless given).
    public init(apiURL: String, csrfKey: SymmetricKey = SymmetricKey(size: .bits256), logger: Logger) throws {
        api = ConsoleAPI(baseURL: apiURL)
        pages = try PageRenderer()
        security = ConsoleSecurityMiddleware(api: api, csrfKey: csrfKey)
        self.logger = logger
    }

    public func router() -> Router<ConsoleRequestContext> {
        let router = Router(context: ConsoleRequestContext.self)
        router.add(middleware: security)
        router.get("static/:name") { _, context in
            guard let name = context.parameters.get("name"), let asset = PageRenderer.asset(name) else { throw HTTPError(.notFound) }
            return asset
        }
        router.get("/") { _, context in
            Self.redirect(to: context.user == nil ? "/login" : "/projects")
        }
        addAuthPages(to: router)
        addProjectPages(to: router)
        addDeploymentPages(to: router)
        addLogPages(to: router)
        addAccountPages(to: router)
        addAdminPages(to: router)
        return router
    }

    // MARK: - Helpers for the pages

    func render(_ template: String, _ title: String, _ values: [String: Any] = [:], context: ConsoleRequestContext,
                status: HTTPResponse.Status = .ok, notice: String? = nil, problem: String? = nil) -> Response {
        pages.page(template, title: title, values: values, context: context, csrf: security.csrfToken(seed: context.csrfSeed),
                   status: status, notice: notice, problem: problem)
    }

    /// 303 See Other: after a form post, the browser GETs `location`.
    static func redirect(to location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    /// The page for a missing object, and for admin pages seen by anyone else (they must not be revealed).
    func notFound(_ context: ConsoleRequestContext) -> Response {
        render("not-found", "Not found", context: context, status: .notFound)
    }

    /// Calls the API as the signed-in visitor.
    func call(_ method: HTTPMethod, _ path: String, _ context: ConsoleRequestContext, body: [String: Any]? = nil,
              timeout: TimeAmount = .seconds(30)) async throws -> ConsoleAPI.Reply {
        try await api.call(method, path, token: context.token, clientAddress: context.clientAddress, body: body, timeout: timeout)
    }

    /// A UUID path parameter, or nil for a malformed one (which names nothing: 404).
    static func uuid(_ context: ConsoleRequestContext, _ name: String = "uuid") -> String? {
        context.parameters.get(name).flatMap(UUID.init(uuidString:))?.uuidString.lowercased()
    }

    /// A path component for the API, escaped.
    static func pathComponent(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? ""
    }

    /// `2026-11-24T19:12:51Z` → `2026-11-24 19:12`.
    static func shortDate(_ value: Any?) -> String {
        guard let text = value as? String, text.count >= 16 else { return "—" }
        return text.prefix(10) + " " + text.dropFirst(11).prefix(5)
    }
}

/// Pages that need a signed-in user send everyone else to the login page, coming back afterwards.
extension ConsoleRequestContext {
    func signInRedirect(_ request: Request) -> Response {
        let next = request.uri.path.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=?#+"))) ?? "/"
        return WebConsole.redirect(to: "/login?next=" + next)
    }
}
