import Credentials
import Foundation
import Hummingbird
import Mail
import Store

extension ControlPlane {
    struct MePatchRequest: Decodable {
        var email: String?
        var password: String?
        var currentPassword: String?
        enum CodingKeys: String, CodingKey { case email, password, currentPassword = "current_password" }
    }
    struct SSHKeyRequest: Decodable { var key: String; var comment: String? }
    struct APITokenRequest: Decodable {
        var name: String
        var expiresInDays: Int?
        enum CodingKeys: String, CodingKey { case name, expiresInDays = "expires_in_days" }
    }

    func addAccountRoutes(to v1: RouterGroup<APIRequestContext>) {
        v1.get("me") { _, context in UserBody(try context.requireUser()) }

        // Changing the e-mail or the password needs the current password; a new e-mail only
        // replaces the old one once the link sent to it is opened. Everything is checked before
        // anything changes, so a refused request changes nothing.
        v1.patch("me") { request, context in
            let user = try context.requireUser()
            let body = try await request.decodeJSON(MePatchRequest.self, context: context)
            guard body.email != nil || body.password != nil else { throw APIError.invalid("nothing to change: send email and/or password") }
            guard let current = body.currentPassword, let stored = try await store.passwordHash(userID: user.id),
                  await passwords.verify(current, against: stored) else {
                throw APIError(.forbidden, code: "wrong_password", "current_password is missing or wrong")
            }
            if let password = body.password { try checkPassword(password) }
            var newEmail: String?
            if let email = body.email {
                let address = try Validation.email(email)
                if address.lowercased() != user.email.lowercased() {
                    guard try await store.user(email: address) == nil else {
                        throw APIError(.conflict, code: "conflict", "that email address is already registered")
                    }
                    newEmail = address
                }
            }

            if let password = body.password {
                try await store.setPassword(userID: user.id, passwordHash: try await passwords.hash(password))
                // Other sessions end: whoever knew the old password is logged out.
                try await store.deleteSessions(userID: user.id, except: context.authentication?.sessionID)
                await audit(context, "password.changed", target: user.username)
            }
            if let address = newEmail {
                let token = SecretToken.generate(prefix: SecretToken.Prefix.nonce)
                try await store.setEmailNonce(userID: user.id, nonceHash: SecretToken.hash(token),
                                              expiresAt: Date().addingTimeInterval(Double(configuration.api.nonceTTLMinutes) * 60),
                                              pendingEmail: address)
                await send(MailMessage(to: address, subject: "Confirm your new PaaSTech e-mail address", body: """
                    Hello \(user.username),

                    open this link to make \(address) the e-mail address of your PaaSTech account:

                    \(consoleLink("/verify-email", token: token))
                    """))
                await audit(context, "email.change_requested", target: user.username, details: ["new_email": address])
            }
            guard let updated = try await store.user(id: user.id) else { throw APIError.unauthenticated }
            return UserBody(updated)
        }

        v1.get("ssh-keys") { _, context in
            ListBody(items: try await store.sshKeys(userID: try context.requireUser().id).map(SSHKeyBody.init))
        }

        v1.post("ssh-keys") { request, context in
            let user = try context.requireUser()
            let body = try await request.decodeJSON(SSHKeyRequest.self, context: context)
            let key: SSHPublicKey
            do {
                key = try SSHPublicKey(authorizedKeysLine: body.key)
            } catch {
                throw APIError(.unprocessableContent, code: "invalid_ssh_key", "\(error)")
            }
            let stored = try await store.addSSHKey(userID: user.id, value: key.canonical, fingerprint: key.fingerprint,
                                                   keyType: key.type.rawValue, comment: body.comment ?? key.comment)
            await audit(context, "ssh_key.added", target: key.fingerprint)
            return EditedResponse(status: .created, response: SSHKeyBody(stored))
        }

        v1.delete("ssh-keys/:id") { _, context in
            let user = try context.requireUser()
            let id = try context.idParameter()
            guard try await store.deleteSSHKey(id: id, userID: user.id) else { throw APIError.notFound("SSH key") }
            await audit(context, "ssh_key.deleted", target: String(id))
            return Response(status: .noContent)
        }

        v1.get("tokens") { _, context in
            ListBody(items: try await store.apiTokens(userID: try context.requireUser().id).map { APITokenBody($0) })
        }

        v1.post("tokens") { request, context in
            let user = try context.requireUser()
            let body = try await request.decodeJSON(APITokenRequest.self, context: context)
            if let days = body.expiresInDays, !(1...3650).contains(days) {
                throw APIError.invalid("expires_in_days must be between 1 and 3650")
            }
            let secret = SecretToken.generate(prefix: SecretToken.Prefix.apiToken)
            let token = try await store.createAPIToken(
                userID: user.id, name: body.name, tokenHash: SecretToken.hash(secret),
                expiresAt: body.expiresInDays.map { Date().addingTimeInterval(Double($0) * 86400) })
            await audit(context, "api_token.created", target: token.name)
            return EditedResponse(status: .created, response: APITokenBody(token, secret: secret))
        }

        v1.delete("tokens/:id") { _, context in
            let user = try context.requireUser()
            let id = try context.idParameter()
            guard try await store.deleteAPIToken(id: id, userID: user.id) else { throw APIError.notFound("API token") }
            await audit(context, "api_token.deleted", target: String(id))
            return Response(status: .noContent)
        }
    }
}
