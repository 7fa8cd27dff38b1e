import Foundation
import Hummingbird

/// Sign up, e-mail verification, log in and out, forgotten passwords.
extension WebConsole {
    func addAuthPages(to router: Router<ConsoleRequestContext>) {
        router.get("login") { request, context in
            render("login", "Log in", ["next": Self.localPath(request.uri.queryParameters.get("next"))], context: context)
        }
        router.post("login") { request, context in
            let form = try await request.formFields(context: context)
            let next = Self.localPath(form["next"])
            let reply = try await call(.POST, "/auth/login", context,
                                       body: ["login": form["login"] ?? "", "password": form["password"] ?? ""])
            guard reply.succeeded, let token = reply.json["token"] as? String else {
                return render("login", "Log in", ["next": next, "login": form["login"] ?? ""], context: context,
                              status: .init(code: reply.status == 429 ? 429 : 401), problem: reply.errorMessage)
            }
            var response = Self.redirect(to: next)
            response.setCookie(Cookie(name: ConsoleSecurityMiddleware.sessionCookie, value: token, path: "/",
                                      secure: context.isSecure, httpOnly: true, sameSite: .lax))
            return response
        }
        router.post("logout") { _, context in
            // Revoked at the API, not only forgotten by the browser.
            if context.token != nil { _ = try? await call(.POST, "/auth/logout", context) }
            var response = Self.redirect(to: "/login")
            response.setCookie(Cookie(name: ConsoleSecurityMiddleware.sessionCookie, value: "", maxAge: 0, path: "/",
                                      secure: context.isSecure, httpOnly: true, sameSite: .lax))
            return response
        }
        router.get("signup") { _, context in render("signup", "Sign up", context: context) }
        router.post("signup") { request, context in
            let form = try await request.formFields(context: context)
            let values = ["username": form["username"] ?? "", "email": form["email"] ?? ""]
            guard form["password"] == form["password_again"] else {
                return render("signup", "Sign up", values, context: context, status: .unprocessableContent,
                              problem: "The two passwords differ.")
            }
            let reply = try await call(.POST, "/auth/signup", context,
                                       body: ["username": values["username"]!, "email": values["email"]!, "password": form["password"] ?? ""])
            guard reply.succeeded else {
                return render("signup", "Sign up", values, context: context, status: .init(code: reply.status), problem: reply.errorMessage)
            }
            return render("message", "Check your mail", ["heading": "Check your mail",
                          "text": "We sent a link to \(values["email"]!). Open it to verify your address, then log in."], context: context)
        }
        // The link in the mail opens a page with a button: mail scanners that follow links verify nothing.
        router.get("verify-email") { request, context in
            render("verify-email", "Verify your address", ["token": request.uri.queryParameters.get("token") ?? ""], context: context)
        }
        router.post("verify-email") { request, context in
            let form = try await request.formFields(context: context)
            let reply = try await call(.POST, "/auth/verify-email", context, body: ["token": form["token"] ?? ""])
            guard reply.succeeded else {
                return render("message", "Verification failed", ["heading": "This link does not work",
                              "text": reply.errorMessage + " Log in to ask for a new one."], context: context, status: .init(code: reply.status))
            }
            return render("message", "Address verified", ["heading": "Your address is verified", "text": "You can log in now.",
                          "link": "/login", "linkText": "Log in"], context: context)
        }
        router.get("forgot-password") { _, context in render("forgot-password", "Forgotten password", context: context) }
        router.post("forgot-password") { request, context in
            let form = try await request.formFields(context: context)
            _ = try await call(.POST, "/auth/password-reset", context, body: ["email": form["email"] ?? ""])
            // The same answer whether or not the address has an account.
            return render("message", "Check your mail", ["heading": "Check your mail",
                          "text": "If an account uses that address, a link to choose a new password is on its way."], context: context)
        }
        router.get("reset-password") { request, context in
            render("reset-password", "Choose a new password", ["token": request.uri.queryParameters.get("token") ?? ""], context: context)
        }
        router.post("reset-password") { request, context in
            let form = try await request.formFields(context: context)
            let token = form["token"] ?? ""
            guard form["password"] == form["password_again"] else {
                return render("reset-password", "Choose a new password", ["token": token], context: context,
                              status: .unprocessableContent, problem: "The two passwords differ.")
            }
            let reply = try await call(.POST, "/auth/password-reset/confirm", context, body: ["token": token, "password": form["password"] ?? ""])
            guard reply.succeeded else {
                return render("reset-password", "Choose a new password", ["token": token], context: context,
                              status: .init(code: reply.status), problem: reply.errorMessage)
            }
            return render("message", "Password changed", ["heading": "Your password is changed", "text": "Log in with the new one.",
                          "link": "/login", "linkText": "Log in"], context: context)
        }
    }

    /// A path on this site to go to after logging in; anything else (another site, `//host`) becomes `/projects`.
    static func localPath(_ value: String?) -> String {
        guard let value, value.hasPrefix("/"), !value.hasPrefix("//"), !value.contains("\\"),
              !value.contains(where: { $0.isNewline }) else { return "/projects" }
        return value
    }
}
