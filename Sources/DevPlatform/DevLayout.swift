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
    /// `paastech gitd`: `git push ssh://git@127.0.0.1:2222/<user>/<project>.git`.
    public var ssh = 2222
    /// `paastech edge`: apps at `http://<deployment>.<project>.apps.localhost:8080` (proxied, no redirect)...
    public var http = 8080
    /// ...and on HTTPS with certificates from a local CA.
    public var https = 8443
    /// `paastech web`, served by the edge at `http://console.localhost:<http>`.
    public var console = 8082

    public init() {}
}

/// How the dev platform's sandboxes stay apart from a production install's (and another dev platform's)
/// on the same host: their own bridge, subnet, nftables table, cgroup v1 subtree and uid range.
public struct DevSandboxes: Sendable {
    /// The nftables table and cgroup subtree; the bridge is this name followed by "0".
    public var name = "paastechdev"
    public var subnet = "10.87.0.0/16"
    public var firstUID = 300_000

    public init() {}

    /// Checks the name can be all of those things: [a-z][a-z0-9]{0,13} (the bridge name must fit 15 bytes).
    public init(name: String, subnet: String, firstUID: Int) throws(DevOptionError) {
        guard let first = name.utf8.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first), name.utf8.count <= 14,
              name.utf8.allSatisfy({ (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
        else { throw DevOptionError("--sandbox-name must be 1 to 14 of a-z and 0-9, starting with a letter (it names a bridge, a table and a cgroup)") }
        self.name = name
        self.subnet = subnet
        self.firstUID = firstUID
    }

    public var bridge: String { name + "0" }
}

/// A bad `paastech dev` option.
public struct DevOptionError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// What `paastech dev` writes to `dev.json` for tests and tools, and prints for a person.
public struct DevSummary: Codable, Sendable, Equatable {
    public struct Admin: Codable, Sendable, Equatable {
        public var username: String
        public var email: String
        public var password: String
    }

    public var apiURL: String
    /// `git remote add paastech <gitURL>/<user>/<project>.git`; nil when the platform runs without gitd.
    public var gitURL: String?
    public var apiInternalSocket: String
    public var databaseConnectionInfo: String
    public var mailDirectory: String
    public var configurationFile: String
    public var admin: Admin
    /// `http://<deployment>.<project>.apps.localhost:8080` (optional: older dev.json files lack it).
    public var appsURL: String?
    /// The local CA's certificate, for `curl --cacert` and browsers.
    public var localCA: String?
    /// The edge's internal socket (metrics, certificate status).
    public var edgeSocket: String?
    /// The web console through the edge: `http://console.localhost:8080`.
    public var consoleURL: String?

    enum CodingKeys: String, CodingKey {
        case apiURL = "api_url", gitURL = "git_url", apiInternalSocket = "api_internal_socket",
             databaseConnectionInfo = "database_conninfo", mailDirectory = "mail_directory",
             configurationFile = "configuration_file", admin, appsURL = "apps_url", localCA = "local_ca",
             edgeSocket = "edge_socket", consoleURL = "console_url"
    }
}
