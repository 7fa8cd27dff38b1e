import Foundation
import Testing

@testable import PlatformConfig

@Suite struct PlatformConfigurationTests {
    let file = "/etc/paastech/paastech.toml"

    /// Parses `text` expecting failure; returns the error.
    func parseError(_ text: String) throws -> ConfigurationError {
        let error = #expect(throws: ConfigurationError.self) {
            try PlatformConfiguration.parse(text, file: file)
        }
        return try #require(error)
    }

    @Test func defaultsMatchTheDocumentedValues() {
        let configuration = PlatformConfiguration()
        #expect(configuration.paths.stateDirectory == "/var/lib/paastech")
        #expect(configuration.paths.repositoriesDirectory == "/var/lib/paastech/repos")
        #expect(configuration.paths.releasesDirectory == "/var/lib/paastech/releases")
        #expect(configuration.paths.cacheDirectory == "/var/lib/paastech/cache")
        #expect(configuration.paths.edgeDirectory == "/var/lib/paastech/edge")
        #expect(configuration.paths.apiInternalSocket == "/run/paastech/api.sock")
        #expect(configuration.database.connectionInfo == "")
        #expect(configuration.database.poolSize == 8)
        #expect(configuration.api.listen == "127.0.0.1:8081")
        #expect(configuration.api.internalAllowedUsers == ["root", "paastech-git", "paastech-edge"])
        #expect(configuration.api.trustedProxies == ["127.0.0.1", "::1"])
        #expect(configuration.mail.sendmail == ["/usr/sbin/sendmail", "-t", "-i"])
        #expect(configuration.log.level == .info)
    }

    @Test func emptyTextIsTheDefaultConfiguration() throws {
        #expect(try PlatformConfiguration.parse("", file: file) == PlatformConfiguration())
        #expect(try PlatformConfiguration.parse("# only a comment\n\n[api]\n", file: file) == PlatformConfiguration())
    }

    @Test func everyKeyIsApplied() throws {
        let text = """
            [paths]
            state_dir = "/srv/paastech/"
            run_dir = "/run/pt"
            [database]
            conninfo = "host=db.internal dbname=pt"
            pool_size = 16
            application_name = "pt-api"
            [api]
            listen = "[::1]:9000"
            internal_allowed_users = ["paastech-git"]
            trusted_proxies = ["10.0.0.1", "fd00::1"]
            session_ttl_hours = 24
            nonce_ttl_minutes = 15
            login_max_failures = 3
            login_window_seconds = 60
            signup_enabled = false
            [platform]
            domain = "paas.example.com"
            apps_domain = "apps.example.com"
            console_url = "https://console.paas.example.com/"
            secure_cookies = true
            [mail]
            sendmail = ["/usr/bin/msmtp", "-t"]
            from = "Example <ops@example.com>"
            spool_dir = "/tmp/mail"
            [log]
            level = "debug"
            """
        let configuration = try PlatformConfiguration.parse(text, file: file)
        var expected = PlatformConfiguration()
        expected.paths.stateDirectory = "/srv/paastech"  // trailing slash removed
        expected.paths.runDirectory = "/run/pt"
        expected.database.connectionInfo = "host=db.internal dbname=pt"
        expected.database.poolSize = 16
        expected.database.applicationName = "pt-api"
        expected.api.listen = "[::1]:9000"
        expected.api.internalAllowedUsers = ["paastech-git"]
        expected.api.trustedProxies = ["10.0.0.1", "fd00::1"]
        expected.api.sessionTTLHours = 24
        expected.api.nonceTTLMinutes = 15
        expected.api.loginMaxFailures = 3
        expected.api.loginWindowSeconds = 60
        expected.api.signupEnabled = false
        expected.platform.domain = "paas.example.com"
        expected.platform.appsDomain = "apps.example.com"
        expected.platform.consoleURL = "https://console.paas.example.com"
        expected.platform.secureCookies = true
        expected.mail.sendmail = ["/usr/bin/msmtp", "-t"]
        expected.mail.from = "Example <ops@example.com>"
        expected.mail.spoolDirectory = "/tmp/mail"
        expected.log.level = .debug
        #expect(configuration == expected)
        #expect(configuration.paths.repositoriesDirectory == "/srv/paastech/repos")
        #expect(configuration.paths.apiInternalSocket == "/run/pt/api.sock")
    }

    @Test func wrongTypeNamesFileLineKeyAndExpectation() throws {
        let text = Array(repeating: "# comment", count: 10).joined(separator: "\n") + "\n[api]\nlisten = 8081\n"
        let error = try parseError(text)
        #expect(error.line == 12)
        #expect(error.key == "api.listen")
        #expect(
            error.description
                == #"/etc/paastech/paastech.toml:12: api.listen: expected a string like "127.0.0.1:8081", got integer"#
        )
    }

    @Test func syntaxErrorsCarryTheParsersLineAndColumn() throws {
        let error = try parseError("[api]\nlisten = \"127.0.0.1:8081\"\nsignup_enabled = yes\n")
        #expect(error.line == 3)
        #expect(error.column != nil)
        #expect(error.key == nil)
        #expect(error.description.hasPrefix("/etc/paastech/paastech.toml:3:"))
    }

    @Test func duplicateKeysAreSyntaxErrors() throws {
        let error = try parseError("[log]\nlevel = \"info\"\nlevel = \"debug\"\n")
        #expect(error.line == 3)
    }

    @Test func unknownKeysAreErrorsWithTheirLineAndASuggestion() throws {
        let error = try parseError("[api]\nlisten = \"127.0.0.1:8081\"\n\n  lisen = \"0.0.0.0:80\"\n")
        #expect(error.line == 4)
        #expect(error.key == "api.lisen")
        #expect(error.message.contains("unknown key"))
        #expect(error.message.contains(#"did you mean "listen""#))
    }

    @Test func unknownTablesAndTopLevelKeysAreErrors() throws {
        let table = try parseError("[log]\nlevel = \"info\"\n\n[pomgranate]\nx = 1\n")
        #expect(table.line == 4)
        #expect(table.key == "pomgranate")
        #expect(table.message.contains("unknown table [pomgranate]"))

        let topLevel = try parseError("# header\nverbose = true\n")
        #expect(topLevel.line == 2)
        #expect(topLevel.message.contains("unknown top-level key"))

        let notATable = try parseError("\napi = 3\n")
        #expect(notATable.line == 2)
        #expect(notATable.message.contains("expected a table"))

        let nested = try parseError("[api]\n[api.extra]\nx = 1\n")
        #expect(nested.line == 2)
        #expect(nested.key == "api.extra")
    }

    @Test func dottedAndInlineKeysAreLocated() throws {
        let dotted = try parseError("\n\napi.listen = 1\n")
        #expect(dotted.line == 3)
        #expect(dotted.key == "api.listen")

        let inline = try parseError("# inline tables are one line\napi = { listen = \"127.0.0.1:8081\", pool = 1 }\n[log]\n")
        #expect(inline.key == "api.pool")
        #expect(inline.line == 2)
    }

    @Test func theEarliestProblemInTheFileIsReported() throws {
        // toml++ hands tables back sorted by name; the error must still be the first in the file.
        let error = try parseError("[platform]\ndomain = 1\n[api]\nlisten = 2\n")
        #expect(error.key == "platform.domain")
        #expect(error.line == 2)
    }

    @Test(arguments: [
        ("[api]\nlisten = \"127.0.0.1:0\"", "api.listen", "port number"),
        ("[api]\nlisten = \"127.0.0.1:70000\"", "api.listen", "port number"),
        ("[api]\nlisten = \"127.0.0.1\"", "api.listen", "port"),
        ("[api]\nlisten = \"::1:8081\"", "api.listen", "brackets"),
        ("[api]\nlisten = \"[::zz]:8081\"", "api.listen", "IPv6"),
        ("[api]\ntrusted_proxies = [\"proxy.local\"]", "api.trusted_proxies", "not an IPv4 or IPv6 address"),
        ("[api]\ntrusted_proxies = [1]", "api.trusted_proxies", "got an array containing integer"),
        ("[api]\ninternal_allowed_users = [\"Root!\"]", "api.internal_allowed_users", "user name"),
        ("[api]\nsession_ttl_hours = 0", "api.session_ttl_hours", "out of range"),
        ("[database]\npool_size = 65", "database.pool_size", "from 1 to 64"),
        ("[database]\npool_size = 8.0", "database.pool_size", "got floating-point number"),
        ("[paths]\nstate_dir = \"var/lib\"", "paths.state_dir", "absolute"),
        ("[paths]\nrun_dir = \"/run/../etc\"", "paths.run_dir", ".."),
        ("[platform]\ndomain = \"Paas_Tech.example\"", "platform.domain", "domain name"),
        ("[platform]\nconsole_url = \"console.example.com\"", "platform.console_url", "http://"),
        ("[platform]\nsecure_cookies = \"yes\"", "platform.secure_cookies", "expected true or false, got string"),
        ("[mail]\nsendmail = []", "mail.sendmail", "must not be empty"),
        ("[mail]\nsendmail = [\"sendmail\", \"-t\"]", "mail.sendmail", "absolute path"),
        ("[mail]\nfrom = \"nobody\"", "mail.from", "e-mail address"),
        ("[mail]\nspool_dir = \"spool\"", "mail.spool_dir", "absolute"),
        ("[log]\nlevel = \"verbose\"", "log.level", "trace|debug|info|notice|warning|error|critical"),
    ])
    func invalidValuesAreRejected(text: String, key: String, messageFragment: String) throws {
        let error = try parseError(text)
        #expect(error.key == key)
        #expect(error.line == 2)
        #expect(error.message.contains(messageFragment), "\(error)")
    }

    @Test func loadReturnsDefaultsForAMissingFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("missing-\(UUID()).toml").path
        #expect(try PlatformConfiguration.load(path: path) == PlatformConfiguration())
    }

    @Test func loadReadsAndValidatesAFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("config-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("paastech.toml").path
        try "[log]\nlevel = \"warning\"\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try PlatformConfiguration.load(path: path).log.level == .warning)

        try "[log]\nlevel = 3\n".write(toFile: path, atomically: true, encoding: .utf8)
        let error = #expect(throws: ConfigurationError.self) { try PlatformConfiguration.load(path: path) }
        #expect(error?.file == path)
        #expect(error?.line == 2)
    }

    @Test func loadFailsForAnUnreadablePath() throws {
        // A directory cannot be read as a file (EISDIR), even by root.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("config-dir-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let error = #expect(throws: ConfigurationError.self) { try PlatformConfiguration.load(path: directory.path) }
        #expect(error?.description.contains("errno \(EISDIR)") == true)
    }

    @Test func invalidUTF8IsRejected() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("latin1-\(UUID()).toml").path
        try Data([0x23, 0x20, 0xE9, 0x0A]).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let error = #expect(throws: ConfigurationError.self) { try PlatformConfiguration.load(path: path) }
        #expect(error?.message.contains("UTF-8") == true)
    }
}
