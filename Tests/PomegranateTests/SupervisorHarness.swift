import Cgroups
import Foundation
import Glibc
import Logging
import NIOPosix
import Pomegranate
import Sandbox

/// A supervisor over real sandboxes, with its own state directories, bridge, subnet and firewall
/// table, so it never touches a platform running on the same host.
enum SupervisorHarness {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    static let runner: SandboxRunner = {
        var network = SandboxRunner.NetworkSettings()
        network.bridgeName = "ptpom0"
        network.subnet = "10.93.0.0/16"
        network.stateDirectory = "/tmp/paastech-test-pom-network"
        network.firewallTable = "paastechpomtest"
        // safe: the tests cannot run without the built init; failing loudly is the point
        // Its own cgroup v1 subtree: the daemon tests' pomegranate must not take these sandboxes for leftovers.
        let cgroups = try! makeCgroupManager(legacySubtree: "paastech-test-pom", logger: Logger(label: "test"))  // safe: see above
        return try! SandboxRunner(initExecutable: root + "/.build/debug/paastech-init", stagingRoot: "/tmp/paastech-test-pom-root",  // safe: see above
                                  network: network, cgroups: cgroups)
    }()

    static func supervisor(_ adjust: (inout SupervisorSettings) -> Void = { _ in }) throws -> Supervisor {
        let base = "/tmp/paastech-test-pom-\(UUID().uuidString.prefix(8))"
        var settings = SupervisorSettings()
        settings.uidRange = 62_000...62_999
        settings.drainDelay = .milliseconds(100)
        settings.stopTimeoutSeconds = 3
        adjust(&settings)
        let layout = PomegranateLayout(stateDirectory: base + "/state", runDirectory: base + "/run",
                                       logsDirectory: base + "/logs", socketPath: base + "/pomegranate.sock")
        return try Supervisor(runner: runner, layout: layout, settings: settings,
                              eventLoops: MultiThreadedEventLoopGroup.singleton, logger: Logger(label: "test"))
    }

    static func identity(project: String = "shop", deployment: String = "web") -> DeploymentIdentity {
        DeploymentIdentity(projectID: UUID().uuidString.lowercased(), projectName: project,
                           deploymentID: UUID().uuidString.lowercased(), deploymentName: deployment)
    }

    /// A release directory readable by every project uid, with an index.html saying `body`.
    static func releaseDirectory(serving body: String) throws -> String {
        let path = "/tmp/paastech-test-release-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        try body.write(toFile: path + "/index.html", atomically: false, encoding: .utf8)
        chmod(path + "/index.html", 0o644)
        return path
    }

    /// Python's static file server on $PORT: a real HTTP app.
    static func webSpec(release: String, directory: String, instances: Int = 1, hosts: [String] = []) -> ReleaseSpec {
        ReleaseSpec(releaseID: release, releaseDirectory: directory,
                    command: ["/usr/bin/python3", "-u", "-m", "http.server", "--bind", "0.0.0.0", "--directory", "/app", "8000"],
                    port: 8000, memoryBytes: 128 << 20, hosts: hosts, stopTimeoutSeconds: 3, instances: instances)
    }

    /// Polls `condition` every 50 ms for up to `seconds`.
    static func eventually(_ seconds: Double = 10, _ condition: () async -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return await condition()
    }

    /// The first route table (now or later) that satisfies `condition`, or nil after `seconds`.
    static func routes(of supervisor: Supervisor, within seconds: Double = 10,
                       where condition: @escaping @Sendable (RouteTable) -> Bool) async -> RouteTable? {
        let stream = await supervisor.watchRoutes()
        return await withTaskGroup(of: RouteTable?.self) { group in
            group.addTask {
                for await table in stream where condition(table) { return table }
                return nil
            }
            group.addTask {
                try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    /// Waits until the app answers on `address`.
    static func waitForHTTP(_ address: String, seconds: Double = 10) async -> String? {
        var body: String?
        _ = await eventually(seconds) {
            body = HTTPProbe.get(address: address, timeoutMilliseconds: 500)
            return body != nil
        }
        return body
    }
}
