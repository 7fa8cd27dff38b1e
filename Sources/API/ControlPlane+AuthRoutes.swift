import Credentials
import Foundation
import HTTPTypes
import Hummingbird
import Mail
import Store

extension ControlPlane {
    struct SignupRequest: Decodable { var username: String; var email: String; var password: String }
    struct TokenRequest: Decodable { var token: String }
    struct LoginRequest: Decodable { var login: String; var password: String }
    struct PasswordResetRequest: Decodable { var email: String }
    struct PasswordResetConfirmRequest: Decodable { var token: String; var password: String }

    func addAuthRoutes(to auth: RouterGroup<APIRequestContext>) {
        auth.post("signup") { request, context in
            guard configuration.api.signupEnabled else {
                throw APIError(.forbidden, code: "signup_disabled", "sign-up is disabled on this platform; ask an administrator")
            }
            let body = try await request.decodeJSON(SignupRequest.self, context: context)
            try checkPassword(body.password)
            let user = try await store.createUser(username: body.username, email: body.email,
                                                  passwordHash: try await passwords.hash(body.password))
            await sendVerification(to: user, address: user.email)
            await audit(context, "user.signup", actor: user, target: user.username)
            return EditedResponse(status: .created, response: UserBody(user))
        }

        auth.post("verify-email") { request, context in
            let body = try await request.decodeJSON(TokenRequest.self, context: context)
            guard let user = try await store.verifyEmail(nonceHash: SecretToken.hash(body.token)) else {
                throw APIError(.badRequest, code: "invalid_token", "this verification link is invalid, expired or already used")
            }
            await audit(context, "user.email_verified", actor: user, target: user.email)
            return UserBody(user)
        }

        auth.post("resend-verification") { _, context in
            let user = try context.requireUser()
            if let pending = user.pendingEmail {
                await sendVerification(to: user, address: pending)
            } else if !user.emailVerified {
                await sendVerification(to: user, address: user.email)
            }
            return Response(status: .accepted)
        }

        auth.post("login") { request, context in
            let body = try await request.decodeJSON(LoginRequest.self, context: context)
            let login = body.login.trimmingCharacters(in: .whitespaces).lowercased()
            let credentials = try await store.credentials(login: login)
            // Per account (whichever of its username or e-mail is typed) and per client address.
            let keys = [credentials.map { "user:\($0.user.id)" } ?? "login:" + login, "address:" + context.clientAddress]
            if let wait = await loginThrottle.retryAfter(keys: keys) {
                var error = APIError(.tooManyRequests, code: "rate_limited", "too many failed logins; try again in \(wait) seconds")
                error.headers[.retryAfter] = String(wait)
                throw error
            }
            // Hash even for unknown accounts so response time does not reveal which logins exist.
            let valid = await passwords.verify(body.password, against: credentials?.passwordHash ?? PasswordHasher.unusableHash)
            guard let credentials, valid else {
                await loginThrottle.recordFailure(keys: keys)
                await audit(context, "login.failed", target: login)
                throw APIError(.unauthorized, code: "invalid_credentials", "wrong username/e-mail or password")
            }
            guard !credentials.user.disabled else {
                throw APIError(.forbidden, code: "account_disabled", "this account is disabled; contact an administrator")
            }
            await loginThrottle.recordSuccess(key: keys[0])
            let token = SecretToken.generate(prefix: SecretToken.Prefix.session)
            let expiresAt = Date().addingTimeInterval(Double(configuration.api.sessionTTLHours) * 3600)
            try await store.createSession(userID: credentials.user.id, tokenHash: SecretToken.hash(token), expiresAt: expiresAt,
                                          remoteAddress: context.clientAddress,
                                          userAgent: request.headers[.userAgent] ?? "")
            await audit(context, "login.succeeded", actor: credentials.user, target: credentials.user.username)
            var response = EditedResponse(response: LoginBody(token: token, expiresAt: expiresAt, user: UserBody(credentials.user)))
            response.setCookie(sessionCookie(value: token, maxAge: configuration.api.sessionTTLHours * 3600))
            return response
        }

        auth.post("logout") { _, context in
            if let sessionID = context.authentication?.sessionID {
                try await store.deleteSession(id: sessionID)
                await audit(context, "logout")
            }
            var response = Response(status: .noContent)
            response.setCookie(sessionCookie(value: "", maxAge: 0))
            return response
        }

        auth.post("password-reset") { request, context in
            let body = try await request.decodeJSON(PasswordResetRequest.self, context: context)
            let token = SecretToken.generate(prefix: SecretToken.Prefix.nonce)
            let expiresAt = Date().addingTimeInterval(Double(configuration.api.nonceTTLMinutes) * 60)
            if let user = try await store.setPasswordNonce(email: body.email.trimmingCharacters(in: .whitespaces),
                                                           nonceHash: SecretToken.hash(token), expiresAt: expiresAt) {
                await send(MailMessage(to: user.email, subject: "Reset your PaaSTech password", body: """
                    Hello \(user.username),

                    someone (hopefully you) asked to reset your PaaSTech password. Open this link within \
                    \(configuration.api.nonceTTLMinutes) minutes to choose a new one:

                    \(consoleLink("/reset-password", token: token))

                    If it was not you, ignore this message: your password stays as it is.
                    """))
                await audit(context, "password.reset_requested", target: user.username)
            }
            // Always the same answer, so the endpoint does not reveal which addresses have accounts.
            return Response(status: .accepted)
        }

        auth.post("password-reset/confirm") { request, context in
            let body = try await request.decodeJSON(PasswordResetConfirmRequest.self, context: context)
            try checkPassword(body.password)
            let hash = try await passwords.hash(body.password)
            guard let user = try await store.resetPassword(nonceHash: SecretToken.hash(body.token), passwordHash: hash) else {
                throw APIError(.badRequest, code: "invalid_token", "this reset link is invalid, expired or already used")
            }
            await audit(context, "password.reset", actor: user, target: user.username)
            return Response(status: .noContent)
        }
    }

    func checkPassword(_ password: String) throws {
        do {
            try PasswordPolicy.validate(password)
        } catch {
            throw APIError.invalid("\(error)")
        }
    }

    /// Mails a fresh single-use verification link for `address` (the account's or a pending one).
    func sendVerification(to user: User, address: String) async {
        let token = SecretToken.generate(prefix: SecretToken.Prefix.nonce)
        let expiresAt = Date().addingTimeInterval(Double(configuration.api.nonceTTLMinutes) * 60)
        do {
            try await store.setEmailNonce(userID: user.id, nonceHash: SecretToken.hash(token), expiresAt: expiresAt,
                                          pendingEmail: address == user.email ? nil : address)
        } catch {
            logger.error("could not store the e-mail verification nonce", metadata: ["error": "\(error)"])
            return
        }
        await send(MailMessage(to: address, subject: "Verify your e-mail address for PaaSTech", body: """
            Hello \(user.username),

            please confirm that \(address) is your e-mail address by opening this link within \
            \(configuration.api.nonceTTLMinutes) minutes:

            \(consoleLink("/verify-email", token: token))
            """))
    }

    func sessionCookie(value: String, maxAge: Int) -> Cookie {
        Cookie(name: AuthenticationMiddleware.cookieName, value: value, maxAge: maxAge, path: "/",
               secure: configuration.platform.secureCookies, httpOnly: true, sameSite: .lax)
    }
}
