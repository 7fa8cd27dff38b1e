import Foundation
import Testing

/// A running `paastech dev` with its own state directory, free ports, and its own sandbox network,
/// firewall table and cgroup subtree (a dev platform or a production install on this machine is not
/// disturbed, nor are other tests' sandboxes).
final class DevPlatformRun: Sendable {
    struct Summary: @unchecked Sendable {
        let raw: [String: Any]
        var apiURL: String { raw["api_url"] as? String ?? "" }
        var internalSocket: String { raw["api_internal_socket"] as? String ?? "" }
        var gitURL: String? { raw["git_url"] as? String }
        var mailDirectory: String { raw["mail_directory"] as? String ?? "" }
        var localCA: String { raw["local_ca"] as? String ?? "" }
        /// The paastech.toml every daemon of this dev platform reads.
        var configurationFile: String { raw["configuration_file"] as? String ?? "" }
        var admin: (String, String) {
            let admin = raw["admin"] as? [String: Any] ?? [:]
            return (admin["username"] as? String ?? "", admin["password"] as? String ?? "")
        }
    }

    let stateDirectory: URL
    let apiPort: Int
    let sshPort: Int
    /// The edge: apps at http://<deployment>.<project>.apps.localhost:<httpPort>, and on HTTPS.
    let httpPort: Int
    let httpsPort: Int
    /// `127.0.0.1:<httpPort>`: where requests for apps go.
    var edgeAddress: String { "127.0.0.1:\(httpPort)" }
    let process: RunningProcess
    let summary: Summary

    /// Starts it and waits for dev.json and a healthy API; nil (with a recorded issue) when it did not come up.
    /// - Parameters:
    ///   - sandboxName: Unique per suite that may run at the same time: two Pomegranates on one cgroup subtree
    ///     and firewall table would take each other's sandboxes for leftovers.
    static func start(stateDirectory: URL, apiPort: Int, sshPort: Int, sandboxName: String, sandboxSubnet: String) async throws -> DevPlatformRun? {
        let httpPort = try freePort()
        let httpsPort = try freePort()
        let summaryFile = stateDirectory.appendingPathComponent("dev.json")
        let started = Date()
        let process = try RunningProcess(try Binary.path(), [
            "dev", "--state-dir", stateDirectory.path, "--api-port", String(apiPort), "--ssh-port", String(sshPort),
            "--sandbox-name", sandboxName, "--sandbox-subnet", sandboxSubnet,
            "--http-port", String(httpPort), "--https-port", String(httpsPort), "--console-port", String(try freePort()),
        ])
        let ready = try await eventually(timeout: .seconds(120)) {
            let modified = (try? FileManager.default.attributesOfItem(atPath: summaryFile.path)[.modificationDate] as? Date) ?? .distantPast
            guard modified >= started.addingTimeInterval(-1) else { return false }
            return try await curl(["http://127.0.0.1:\(apiPort)/v1/health"]).0 == 200
        }
        #expect(ready, "dev log:\n\(process.log)")
        guard ready else {
            process.interrupt()
            _ = await process.waitForExit(timeout: .seconds(30))
            return nil
        }
        let summary = Summary(raw: json(try String(contentsOf: summaryFile, encoding: .utf8)))
        return DevPlatformRun(stateDirectory: stateDirectory, apiPort: apiPort, sshPort: sshPort, httpPort: httpPort,
                              httpsPort: httpsPort, process: process, summary: summary)
    }

    private init(stateDirectory: URL, apiPort: Int, sshPort: Int, httpPort: Int, httpsPort: Int, process: RunningProcess,
                 summary: Summary) {
        self.stateDirectory = stateDirectory
        self.apiPort = apiPort
        self.sshPort = sshPort
        self.httpPort = httpPort
        self.httpsPort = httpsPort
        self.process = process
        self.summary = summary
    }

    /// Where the dev platform's Pomegranate serves gRPC.
    var pomegranateSocket: String { stateDirectory.appendingPathComponent("run/pomegranate.sock").path }

    /// Ctrl-C, then waits.
    /// - Returns: Its exit status, or nil when it had to be killed.
    func stop() async -> Int32? {
        process.interrupt()
        return await process.waitForExit(timeout: .seconds(60))
    }
}
