import Foundation
import HTTPTypes
import Testing

@Suite("Accounts: sign-up, e-mail verification, login, logout, password reset")
struct AuthRoutesTests {
    @Test("sign-up validates every field with a JSON error and creates nothing on error")
    func signupValidation() async throws {
        try await TestPlatform.make().withClient { api in
            let good = ["username": "alice", "email": "alice@example.com", "password": "long enough pw"]
            var cases: [([String: Any], String)] = [
                (good.merging(["username": "Alice"]) { $1 }, "invalid_request"),
                (good.merging(["username": "<script>alert(1)</script>"]) { $1 }, "invalid_request"),
                (good.merging(["email": "not-an-email"]) { $1 }, "invalid_request"),
                (good.merging(["password": "short"]) { $1 }, "invalid_request"),
            ]
            var missing = good
            missing["email"] = nil
            cases.append((missing, "invalid_request"))
            cases.append((["username": 42, "email": "x@example.com", "password": "long enough pw"], "invalid_request"))
            for (body, code) in cases {
                let reply = try await api.request(.post, "/v1/auth/signup", json: body)
                #expect(reply.status == .badRequest, "\(body) → \(reply.body)")
                #expect(reply.errorCode == code)
                #expect((reply.json["error"] as? [String: Any])?["message"] is String)
            }
            let notJSON = try await api.request(.post, "/v1/auth/signup", rawBody: "{nope", headers: [.contentType: "application/json"])
            #expect(notJSON.status == .badRequest)
            #expect(notJSON.errorCode == "invalid_request")
            #expect(try await api.platform.store.users().isEmpty)

            let created = try await api.request(.post, "/v1/auth/signup", json: good)
            #expect(created.status == .created)
            #expect(created.json["username"] as? String == "alice")
            #expect(created.json["email_verified"] as? Bool == false)
            #expect(created.json["password"] == nil)
            let duplicate = try await api.request(.post, "/v1/auth/signup", json: good.merging(["email": "b@example.com"]) { $1 })
            #expect(duplicate.status == .conflict)
            #expect(duplicate.errorCode == "conflict")
        }
    }

    @Test("the stored password is a scrypt hash that verifies, not the password")
    func passwordIsHashed() async throws {
        let platform = try await TestPlatform.make()
        try await platform.withClient { api in
            try await api.signUpAndLogIn("bob", password: "my secret password")
            let user = try #require(try await platform.store.user(username: "bob"))
            let stored = try #require(try await platform.store.passwordHash(userID: user.id))
            #expect(!stored.contains("my secret password"))
            #expect(stored.hasPrefix("$scrypt$"))
            let wrong = try await api.request(.post, "/v1/auth/login", json: ["login": "bob", "password": "my secret passwor"])
            #expect(wrong.status == .unauthorized)
            #expect(wrong.errorCode == "invalid_credentials")
        }
    }

    @Test("verification tokens are single-use and expire")
    func verificationNonces() async throws {
        let platform = try await TestPlatform.make()
        try await platform.withClient { api in
            _ = try await api.request(.post, "/v1/auth/signup", json: ["username": "carol", "email": "carol@example.com", "password": "long enough pw"])
            let token = try platform.tokenFromMail(to: "carol@example.com")
            #expect(try await api.request(.post, "/v1/auth/verify-email", json: ["token": token]).status == .ok)
            let reused = try await api.request(.post, "/v1/auth/verify-email", json: ["token": token])
            #expect(reused.status == .badRequest)
            #expect(reused.errorCode == "invalid_token")

            _ = try await api.request(.post, "/v1/auth/signup", json: ["username": "dan", "email": "dan@example.com", "password": "long enough pw"])
            let late = try platform.tokenFromMail(to: "dan@example.com")
            try await platform.store.database.execute("UPDATE users SET email_nonce_expires_at = now() - interval '1 second' WHERE username = 'dan'")
            #expect(try await api.request(.post, "/v1/auth/verify-email", json: ["token": late]).errorCode == "invalid_token")
            #expect(try await api.request(.post, "/v1/auth/verify-email", json: ["token": "ptn_forged"]).errorCode == "invalid_token")
        }
    }

    @Test("login by username or e-mail sets an HttpOnly SameSite=Lax cookie; logout ends the session server-side")
    func loginAndLogout() async throws {
        try await TestPlatform.make().withClient { api in
            let token = try await api.signUpAndLogIn("erin")
            let byEmail = try await api.request(.post, "/v1/auth/login", json: ["login": "ERIN@example.com", "password": "correct horse battery"])
            #expect(byEmail.status == .ok)
            let cookie = try #require(byEmail.headers[.setCookie])
            #expect(cookie.contains("paastech_session=pts_"))
            #expect(cookie.contains("HttpOnly"))
            #expect(cookie.contains("SameSite=Lax"))
            #expect(!cookie.contains("Secure"), "plain HTTP in this configuration")

            #expect(try await api.request(.get, "/v1/me", token: token).json["username"] as? String == "erin")
            let cookieOnly = try await api.request(.get, "/v1/me", headers: [.cookie: "paastech_session=\(token)"])
            #expect(cookieOnly.status == .ok)
            #expect(try await api.request(.post, "/v1/auth/logout", token: token).status == .noContent)
            #expect(try await api.request(.get, "/v1/me", token: token).status == .unauthorized)
            #expect(try await api.request(.get, "/v1/me").errorCode == "unauthenticated")
        }
    }

    @Test("cookies are Secure when the API is served over HTTPS")
    func secureCookies() async throws {
        try await TestPlatform.make { $0.platform.secureCookies = true }.withClient { api in
            try await api.signUpAndLogIn("fay")
            let reply = try await api.request(.post, "/v1/auth/login", json: ["login": "fay", "password": "correct horse battery"])
            #expect(reply.headers[.setCookie]?.contains("Secure") == true)
        }
    }

    @Test("failed logins are rate-limited per account, with Retry-After")
    func loginRateLimit() async throws {
        try await TestPlatform.make { $0.api.loginMaxFailures = 3 }.withClient { api in
            try await api.signUpAndLogIn("gus")
            for _ in 0..<3 {
                #expect(try await api.request(.post, "/v1/auth/login", json: ["login": "gus", "password": "wrong password!"]).status == .unauthorized)
            }
            let limited = try await api.request(.post, "/v1/auth/login", json: ["login": "gus", "password": "correct horse battery"])
            #expect(limited.status == .tooManyRequests)
            #expect(limited.errorCode == "rate_limited")
            #expect(Int(limited.headers[.retryAfter] ?? "") ?? 0 > 0)
        }
    }

    @Test("injection-shaped logins are just wrong logins")
    func injectionLogin() async throws {
        try await TestPlatform.make().withClient { api in
            try await api.signUpAndLogIn("hal")
            for login in ["' OR '1'='1", "hal'--", "hal\"; DROP TABLE users; --", "%"] {
                let reply = try await api.request(.post, "/v1/auth/login", json: ["login": login, "password": "' OR '1'='1"])
                #expect(reply.status == .unauthorized, "\(login): \(reply.body)")
            }
            // PostgreSQL text cannot hold NUL: a clear client error, never a 500 or a truncated match.
            let nul = try await api.request(.post, "/v1/auth/login", json: ["login": "hal\u{0}", "password": "correct horse battery"])
            #expect(nul.status == .badRequest)
            #expect(nul.errorCode == "invalid_request")
        }
    }

    @Test("password reset: same answer for unknown addresses; the token works once and ends old sessions")
    func passwordReset() async throws {
        let platform = try await TestPlatform.make()
        try await platform.withClient { api in
            let session = try await api.signUpAndLogIn("ivy")
            #expect(try await api.request(.post, "/v1/auth/password-reset", json: ["email": "nobody@example.com"]).status == .accepted)
            #expect(try await api.request(.post, "/v1/auth/password-reset", json: ["email": "ivy@example.com"]).status == .accepted)
            let token = try platform.tokenFromMail(to: "ivy@example.com", link: "reset-password")
            let tooShort = try await api.request(.post, "/v1/auth/password-reset/confirm", json: ["token": token, "password": "short"])
            #expect(tooShort.status == .badRequest)
            #expect(try await api.request(.post, "/v1/auth/password-reset/confirm",
                                          json: ["token": token, "password": "a brand new password"]).status == .noContent)
            #expect(try await api.request(.post, "/v1/auth/password-reset/confirm",
                                          json: ["token": token, "password": "another new password"]).errorCode == "invalid_token")
            #expect(try await api.request(.get, "/v1/me", token: session).status == .unauthorized)
            _ = try await api.logIn("ivy", password: "a brand new password")
        }
    }

    @Test("changing the e-mail needs the current password and re-verification")
    func emailChange() async throws {
        let platform = try await TestPlatform.make()
        try await platform.withClient { api in
            let token = try await api.signUpAndLogIn("jay")
            let noPassword = try await api.request(.patch, "/v1/me", token: token, json: ["email": "jay2@example.com"])
            #expect(noPassword.status == .forbidden)
            let pending = try await api.request(.patch, "/v1/me", token: token,
                                                json: ["email": "jay2@example.com", "current_password": "correct horse battery"])
            #expect(pending.json["email"] as? String == "jay@example.com")
            #expect(pending.json["pending_email"] as? String == "jay2@example.com")
            let verify = try await api.request(.post, "/v1/auth/verify-email", json: ["token": try platform.tokenFromMail(to: "jay2@example.com")])
            #expect(verify.json["email"] as? String == "jay2@example.com")
        }
    }

    @Test("cookie-authenticated writes must be JSON (CSRF)")
    func csrf() async throws {
        try await TestPlatform.make().withClient { api in
            let token = try await api.signUpAndLogIn("kim")
            let form = try await api.request(.post, "/v1/projects", rawBody: "name=evil",
                                             headers: [.cookie: "paastech_session=\(token)", .contentType: "application/x-www-form-urlencoded"])
            #expect(form.status == .forbidden)
            #expect(form.errorCode == "csrf")
            #expect(try await api.platform.store.projects(for: .administrator).isEmpty)
        }
    }
}
