import ArgumentParser
import Foundation
import Store

/// `paastech admin ...`: account administration from the server's shell.
struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin", abstract: "Administer accounts.",
        subcommands: [CreateUser.self, ListUsers.self])

    struct CreateUser: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create-user", abstract: "Create a verified user and print a generated password.")

        @OptionGroup var config: ConfigurationOptions
        @Option var username: String
        @Option var email: String
        @Flag(help: "Make the user an administrator.") var admin = false

        func run() async throws {
            let configuration = try config.load()
            let logger = Bootstrap.logging(identifier: "paastech-admin", configuration: configuration)
            let database = Bootstrap.database(configuration, logger: logger)
            defer { database.close() }
            let password = AdminAccounts.generatePassword()
            let user = try await AdminAccounts(store: PlatformStore(database: database))
                .createUser(username: username, email: email, password: password, isAdmin: admin)
            try await PlatformStore(database: database).audit(actor: nil, action: "admin.cli_user_created", target: user.username)
            print("created \(user.isAdmin ? "administrator" : "user") \(user.username) <\(user.email)>")
            print("password: \(password)")
        }
    }

    struct ListUsers: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list-users", abstract: "List all users.")

        @OptionGroup var config: ConfigurationOptions
        @Option(help: "Only users whose name or e-mail contains this.") var search: String?

        func run() async throws {
            let configuration = try config.load()
            let logger = Bootstrap.logging(identifier: "paastech-admin", configuration: configuration)
            let database = Bootstrap.database(configuration, logger: logger)
            defer { database.close() }
            let users = try await PlatformStore(database: database).users(search: search, limit: 10_000)
            print("ID".padding(toLength: 7, withPad: " ", startingAt: 0) + "USERNAME".padding(toLength: 41, withPad: " ", startingAt: 0)
                  + "EMAIL".padding(toLength: 40, withPad: " ", startingAt: 0) + "FLAGS")
            for user in users {
                let flags = [user.isAdmin ? "admin" : nil, user.disabled ? "disabled" : nil, user.emailVerified ? nil : "unverified"]
                    .compactMap { $0 }.joined(separator: ",")
                print(String(user.id).padding(toLength: 7, withPad: " ", startingAt: 0)
                      + user.username.padding(toLength: 41, withPad: " ", startingAt: 0)
                      + user.email.padding(toLength: 40, withPad: " ", startingAt: 0) + flags)
            }
        }
    }
}
