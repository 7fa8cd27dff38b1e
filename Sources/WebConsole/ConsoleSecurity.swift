import Crypto
import Foundation
import HTTPTypes
import Hummingbird

/// Sessions, CSRF and response headers.
///
/// - The console's own cookie holds the user's API session token (HttpOnly, SameSite=Lax, Secure under
///   HTTPS); every page is rendered from API calls made with it, and logging out revokes it at the API.
/// - CSRF: each browser gets a random seed cookie; every form carries HMAC(key, seed), which a cross-site
///   page can neither read nor compute. Every POST is checked before its handler runs.
/// - Content-Security-Policy without inline scripts or styles, no framing, no sniffing.
struct ConsoleSecurityMiddleware: RouterMiddleware {
    typealias Context = ConsoleRequestContext
    static let sessionCookie = "paastech_console"
    static let csrfCookie = "paastech_csrf"
    static let csrfField = "_csrf"
    static let contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        + "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    let api: ConsoleAPI
    let csrfKey: SymmetricKey

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        var request = request
        // The edge (a local peer) replaces these headers on every request; nobody else is believed.
        if context.peerAddress == "127.0.0.1" || context.peerAddress == "::1" {
            if let forwarded = request.headers[.forwardedFor]?.split(separator: ",").last {
                context.clientAddress = forwarded.trimmingCharacters(in: .whitespaces)
            }
            context.isSecure = request.headers[.forwardedProto] == "https"
        }
        if let seed = request.cookies[Self.csrfCookie]?.value, seed.count == 43 {
            context.csrfSeed = seed
        } else {
            context.csrfSeed = Self.randomSeed()
            context.setsCSRFCookie = true
        }
        if request.method == .post {
            // Collected into the request, so the handler reads the same body again.
            _ = try await request.collectBody(upTo: context.maxUploadSize)
            let form = try await request.formFields(context: context)
            guard let sent = form[Self.csrfField], Self.constantTimeEqual(sent, csrfToken(seed: context.csrfSeed)), !context.setsCSRFCookie else {
                return Self.secured(Response(status: .forbidden, headers: [.contentType: "text/plain; charset=utf-8"],
                                             body: .init(byteBuffer: .init(string: "This form has expired or was not sent from the console. Go back, reload the page and try again.\n"))), context: context)
            }
        }
        if let token = request.cookies[Self.sessionCookie]?.value, !token.isEmpty {
            let me = try await api.call(.GET, "/me", token: token, clientAddress: context.clientAddress)
            if me.succeeded {
                context.token = token
                context.me = me
            }
        }
        var response = try await next(request, context)
        response = Self.secured(response, context: context)
        if context.setsCSRFCookie {
            response.setCookie(Cookie(name: Self.csrfCookie, value: context.csrfSeed, path: "/", secure: context.isSecure,
                                      httpOnly: true, sameSite: .strict))
        }
        return response
    }

    func csrfToken(seed: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(seed.utf8), using: csrfKey)
        return Data(mac).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
    }

    static func randomSeed() -> String {
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        return String(bytes.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").dropLast())
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let (x, y) = (Array(a.utf8), Array(b.utf8))
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    static func secured(_ response: Response, context: Context) -> Response {
        var response = response
        response.headers[.contentSecurityPolicy] = contentSecurityPolicy
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.frameOptions] = "DENY"
        response.headers[.referrer] = "same-origin"
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        return response
    }
}

extension HTTPField.Name {
    static let forwardedFor = Self("X-Forwarded-For")!  // safe: a valid header name literal
    static let forwardedProto = Self("X-Forwarded-Proto")!  // safe: a valid header name literal
    static let frameOptions = Self("X-Frame-Options")!  // safe: a valid header name literal
    static let referrer = Self("Referrer-Policy")!  // safe: a valid header name literal
    static let lastEventID = Self("Last-Event-ID")!  // safe: a valid header name literal
}

extension Request {
    /// The `application/x-www-form-urlencoded` body's fields (the last value of a repeated name wins);
    /// read once and kept, so the CSRF check and the handler see the same body.
    func formFields(context: ConsoleRequestContext) async throws -> [String: String] {
        try await formPairs(context: context).reduce(into: [:]) { $0[$1.0] = $1.1 }
    }

    /// Every field in order, repeated names included (the environment editor sends several rows).
    func formPairs(context: ConsoleRequestContext) async throws -> [(String, String)] {
        let buffer = try await body.collect(upTo: context.maxUploadSize)
        let text = String(buffer: buffer)
        return text.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String {
                String(part).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }
}
