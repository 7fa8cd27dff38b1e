import Foundation
import Hummingbird

/// The account: e-mail address (a change is verified again), password, SSH keys, personal API tokens.
extension WebConsole {
    func addAccountPages(to router: Router<ConsoleRequestContext>) {
        router.get("account") { request, context in
            guard context.user != nil else { return context.signInRedirect(request) }
            return try await accountPage(context)
        }
        router.post("account/profile") { request, context in
            guard context.user != nil else { return context.signInRedirect(request) }
            let form = try await request.formFields(context: context)
            var body: [String: Any] = [:]
            if let email = form["email"], !email.isEmpty, email != context.user?["email"] as? String { body["email"] = email }
            if let password = form["password"], !password.isEmpty {
                guard password == form["password_again"] else {
                    return try await accountPage(context, status: .unprocessableContent, problem: "The two passwords differ.")
                }
                body["password"] = password
            }
            guard !body.isEmpty else { return Self.redirect(to: "/account") }
            let reply = try await call(.PATCH, "/me", context, body: body)
            guard reply.succeeded else { return try await accountPage(context, status: .init(code: reply.status), problem: reply.errorMessage) }
            let notice = body["email"] != nil ? "Check your mail: the new address is used once you open the link we sent." : "Saved."
            return try await accountPage(context, notice: notice)
        }
        router.post("account/keys") { request, context in
            guard context.user != nil else { return context.signInRedirect(request) }
            let form = try await request.formFields(context: context)
            if let id = form["remove"].flatMap(Int64.init) {
                let reply = try await call(.DELETE, "/ssh-keys/\(id)", context)
                guard reply.succeeded else { return try await accountPage(context, status: .init(code: reply.status), problem: reply.errorMessage) }
                return Self.redirect(to: "/account")
            }
            var body: [String: Any] = ["key": form["key"]?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""]
            if let comment = form["comment"], !comment.isEmpty { body["comment"] = comment }
            let reply = try await call(.POST, "/ssh-keys", context, body: body)
            guard reply.succeeded else {
                return try await accountPage(context, status: .init(code: reply.status), problem: "That key was not added: " + reply.errorMessage,
                                             keyDraft: form["key"])
            }
            return try await accountPage(context, notice: "Key added: \(reply.json["fingerprint"] as? String ?? "").")
        }
        router.post("account/tokens") { request, context in
            guard context.user != nil else { return context.signInRedirect(request) }
            let form = try await request.formFields(context: context)
            if let id = form["remove"].flatMap(Int64.init) {
                let reply = try await call(.DELETE, "/tokens/\(id)", context)
                guard reply.succeeded else { return try await accountPage(context, status: .init(code: reply.status), problem: reply.errorMessage) }
                return Self.redirect(to: "/account")
            }
            var body: [String: Any] = ["name": form["name"] ?? ""]
            if let days = form["expires_in_days"].flatMap(Int.init) { body["expires_in_days"] = days }
            let reply = try await call(.POST, "/tokens", context, body: body)
            guard reply.succeeded, let token = reply.json["token"] as? String else {
                return try await accountPage(context, status: .init(code: reply.status), problem: reply.errorMessage)
            }
            // Shown on this answer only; the API keeps a hash.
            return try await accountPage(context, notice: "Token created. Copy it now: it is not shown again.", newToken: token)
        }
    }

    func accountPage(_ context: ConsoleRequestContext, status: HTTPResponse.Status = .ok, notice: String? = nil, problem: String? = nil,
                     newToken: String? = nil, keyDraft: String? = nil) async throws -> Response {
        let keys = try await call(.GET, "/ssh-keys", context).items.map { key -> [String: Any] in
            var row = key
            row["added"] = Self.shortDate(key["created_at"])
            row["used"] = Self.shortDate(key["last_used_at"])
            return row
        }
        let tokens = try await call(.GET, "/tokens", context).items.map { token -> [String: Any] in
            var row = token
            row["created"] = Self.shortDate(token["created_at"])
            row["expires"] = token["expires_at"] == nil || token["expires_at"] is NSNull ? "never" : Self.shortDate(token["expires_at"])
            row["used"] = Self.shortDate(token["last_used_at"])
            return row
        }
        var values: [String: Any] = ["keys": keys, "tokens": tokens, "noKeys": keys.isEmpty, "noTokens": tokens.isEmpty,
                                     "keyDraft": keyDraft ?? ""]
        if let newToken { values["newToken"] = newToken }
        return render("account", "Account", values, context: context, status: status, notice: notice, problem: problem)
    }
}
