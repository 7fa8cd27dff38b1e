import Foundation

/// Everything `paastech dev` keeps under its state directory, declared in one place.
public struct DevLayout: Sendable {
    public let root: URL

    public init(stateDirectory: String) {
        root = URL(fileURLWithPath: stateDirectory, isDirectory: true).standardizedFileURL
    }

    public var postgres: URL { root.appendingPathComponent("postgres", isDirectory: true) }
    /// Stands in for /var/lib/paastech.
    public var state: URL { root.appendingPathComponent("var", isDirectory: true) }
    /// Stands in for /run/paastech.
    public var run: URL { root.appendingPathComponent("run", isDirectory: true) }
    public var mail: URL { root.appendingPathComponent("mail", isDirectory: true) }
    public var configuration: URL { root.appendingPathComponent("paastech.toml") }
    public var summary: URL { root.appendingPathComponent("dev.json") }
    public var apiInternalSocket: URL { run.appendingPathComponent("api.sock") }
}

/// Ports and addresses of the dev platform (ARCHITECTURE.md: API 8081, console 8082, edge 8080/8443, SSH 2222).
public struct DevPorts: Sendable {
    public var host = "127.0.0.1"
    public var api = 8081

    public init() {}
}

/// What `paastech dev` writes to `dev.json` for tests and tools, and prints for a person.
public struct DevSummary: Codable, Sendable, Equatable {
    public struct Admin: Codable, Sendable, Equatable {
        public var username: String
        public var email: String
        public var password: String
    }

    public var apiURL: String
    public var apiInternalSocket: String
    public var databaseConnectionInfo: String
    public var mailDirectory: String
    public var configurationFile: String
    public var admin: Admin

    enum CodingKeys: String, CodingKey {
        case apiURL = "api_url", apiInternalSocket = "api_internal_socket",
             databaseConnectionInfo = "database_conninfo", mailDirectory = "mail_directory",
             configurationFile = "configuration_file", admin
    }
}
