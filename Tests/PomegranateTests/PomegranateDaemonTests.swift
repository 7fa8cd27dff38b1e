import Foundation
import Glibc
import GRPCCore
import PomegranateRPC
import Synchronization
import Systemd
import Testing

/// `paastech pomegranate` as a real process, driven over its gRPC socket.
@Suite("pomegranate daemon: gRPC and live restore", .serialized)
struct PomegranateDaemonTests {
    final class Daemon: Sendable {
        let base: String
        let configPath: String
        let socket: String
        let process: Mutex<ChildProcess?> = Mutex(nil)

        init() throws {
            base = "/tmp/paastech-test-pomd-\(UUID().uuidString.prefix(8))"
            try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
            configPath = base + "/paastech.toml"
            socket = base + "/run/pomegranate.sock"
            try """
            [paths]
            state_dir = "\(base)/state"
            run_dir = "\(base)/run"

            [pomegranate]
            bridge = "ptpomd0"
            subnet = "10.94.0.0/16"
            firewall_table = "paastechpomdtest"
            cgroup_subtree = "paastech-test-pomd"
            uid_first = 63000
            uid_count = 1000
            stop_timeout_seconds = 3
            """.write(toFile: configPath, atomically: true, encoding: .utf8)
        }

        /// Starts `paastech pomegranate` and waits until it answers Status.
        func start() async throws {
            let binary = SupervisorHarness.root + "/.build/debug/paastech"
            let output = open(base + "/daemon.log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
            defer { close(output) }
            var environment = ProcessInfo.processInfo.environment
            for name in SystemdEnvironment.variablesToStrip { environment[name] = nil }
            let child = try ChildProcess.spawn(executable: binary, arguments: ["pomegranate", "--config", configPath],
                                               environment: environment, passingFDs: [], output: output)
            process.withLock { $0 = child }
            let ready = await SupervisorHarness.eventually(20) { (try? await self.status()) != nil }
            #expect(ready, "pomegranate did not answer: \(log)")
        }

        var log: String { (try? String(contentsOfFile: base + "/daemon.log", encoding: .utf8)) ?? "" }

        func kill9() async {
            guard let child = process.withLock({ $0 }) else { return }
            try? child.signal(SIGKILL)
            _ = await child.waitForExit()
        }

        func stop() async {
            guard let child = process.withLock({ $0 }) else { return }
            try? child.signal(SIGTERM)
            _ = await child.waitForExit()
        }

        func stopDeployment(_ deploymentID: String) async throws {
            try await PomegranateConnection.withClient(socketPath: socket) { client in
                var stop = Paastech_Pomegranate_V1_StopRequest()
                stop.deploymentID = deploymentID
                _ = try await client.releases.stop(stop)
            }
        }

        func logLines(deploymentID: String) async throws -> [String] {
            try await PomegranateConnection.withClient(socketPath: socket) { client in
                var logs = Paastech_Pomegranate_V1_LogsRequest()
                logs.deploymentID = deploymentID
                return try await client.logs.logs(logs) { response in
                    var lines: [String] = []
                    for try await line in response.messages { lines.append(line.text) }
                    return lines
                }
            }
        }

        func status() async throws -> [Paastech_Pomegranate_V1_DeploymentStatus] {
            try await PomegranateConnection.withClient(socketPath: socket) { client in
                try await client.instances.status(Paastech_Pomegranate_V1_StatusRequest()).deployments
            }
        }
    }

    static func deployRequest(directory: String) -> Paastech_Pomegranate_V1_DeployRequest {
        var request = Paastech_Pomegranate_V1_DeployRequest()
        request.projectID = UUID().uuidString.lowercased()
        request.projectName = "shop"
        request.deploymentID = UUID().uuidString.lowercased()
        request.deploymentName = "web"
        request.releaseID = "r1"
        request.releaseDirectory = directory
        request.command = ["/usr/bin/python3", "-u", "-m", "http.server", "--bind", "0.0.0.0", "--directory", "/app", "8000"]
        request.port = 8000
        request.instances = 1
        request.egress = true
        request.hosts = ["web.shop.apps.test"]
        request.limits.memoryBytes = 128 << 20
        return request
    }

    @Test func anInstanceOutlivesKill9OfPomegranateAndIsSupervisedAgain() async throws {
        let daemon = try Daemon()
        try await daemon.start()
        let request = Self.deployRequest(directory: try SupervisorHarness.releaseDirectory(serving: "still here"))
        let deployed = try await PomegranateConnection.withClient(socketPath: daemon.socket) { client in
            let response = try await client.releases.deploy(request)
            var promote = Paastech_Pomegranate_V1_PromoteRequest()
            promote.deploymentID = request.deploymentID
            promote.releaseID = "r1"
            _ = try await client.releases.promote(promote)
            return response.instances
        }
        let instance = try #require(deployed.first)
        #expect(await SupervisorHarness.waitForHTTP(instance.address) == "still here")

        // Serve requests the whole time pomegranate is killed and restarted. An interrupted instance refuses
        // or resets at once; the generous timeout only keeps a machine loaded by other suites from counting
        // a slow answer as a failure (it did, twice, at 1 s).
        let counts = Mutex((served: 0, failed: 0, failures: [String]()))
        let polling = Task {
            while !Task.isCancelled {
                let started = ContinuousClock.now
                switch HTTPProbe.probe(address: instance.address, timeoutMilliseconds: 5000) {
                case .success("still here"): counts.withLock { $0.served += 1 }
                case let other: counts.withLock { $0.failed += 1; $0.failures.append("\(other) after \(ContinuousClock.now - started)") }
                }
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        try await Task.sleep(for: .milliseconds(300))
        await daemon.kill9()
        #expect(kill(instance.pid, 0) == 0, "the instance died with pomegranate")
        try await Task.sleep(for: .milliseconds(300))
        try await daemon.start()
        try await Task.sleep(for: .milliseconds(300))
        polling.cancel()
        _ = await polling.value
        let (served, failed, failures) = counts.withLock { ($0.served, $0.failed, $0.failures) }
        #expect(failed == 0 && served > 10, "served \(served), failed \(failed): \(failures)")

        let restored = try #require(try await daemon.status().first { $0.deploymentID == request.deploymentID })
        #expect(restored.instances.map(\.pid) == [instance.pid], "re-adopted with the same pid")
        #expect(restored.instances.first?.state == .running)
        #expect(daemon.log.contains("re-adopted"), "\(daemon.log)")

        // Supervised again: a crash after the restart is noticed and the instance restarted.
        kill(instance.pid, SIGKILL)
        let restarted = await SupervisorHarness.eventually(15) {
            let now = try? await daemon.status().first { $0.deploymentID == request.deploymentID }?.instances.first
            return now.map { $0.state == .running && $0.pid != instance.pid && $0.restarts == 1 } ?? false
        }
        #expect(restarted, "\(daemon.log)")

        // The log kept what the first run printed, next to what the restarted one prints.
        var lines: [String] = []
        let bothRuns = await SupervisorHarness.eventually(10) {
            lines = (try? await daemon.logLines(deploymentID: request.deploymentID)) ?? []
            return lines.filter { $0.contains("Serving HTTP on 0.0.0.0 port 8000") }.count >= 2
        }
        #expect(bothRuns, "\(lines)")
        #expect(lines.contains { $0.contains("re-adopted") })

        // A redeploy through the daemon: the previous release's instance stops once drained.
        let previous = try #require(try await daemon.status().first { $0.deploymentID == request.deploymentID }?.instances.first)
        var second = Self.deployRequest(directory: try SupervisorHarness.releaseDirectory(serving: "second"))
        second.deploymentID = request.deploymentID
        second.projectID = request.projectID
        second.releaseID = "r2"
        try await PomegranateConnection.withClient(socketPath: daemon.socket) { client in
            _ = try await client.releases.deploy(second)
            var promote = Paastech_Pomegranate_V1_PromoteRequest()
            promote.deploymentID = request.deploymentID
            promote.releaseID = "r2"
            _ = try await client.releases.promote(promote)
        }
        #expect(await SupervisorHarness.eventually(10) { kill(previous.pid, 0) != 0 }, "the previous release still runs: \(daemon.log)")

        try await daemon.stopDeployment(request.deploymentID)
        await daemon.stop()
    }

    @Test func aStopDoesNotWaitForTheStreamsThatFollowRoutesAndLogs() async throws {
        let daemon = try Daemon()
        try await daemon.start()
        // The edge follows the routes for as long as it runs: that must not hold pomegranate's stop.
        let follower = Task {
            try? await PomegranateConnection.withClient(socketPath: daemon.socket) { client in
                try await client.routes.watchRoutes(Paastech_Pomegranate_V1_WatchRoutesRequest()) { response in
                    for try await _ in response.messages {}
                }
            }
        }
        try await Task.sleep(for: .milliseconds(500))
        let started = ContinuousClock.now
        let stopped = await withTaskGroup(of: Bool.self) { group in
            group.addTask { await daemon.stop(); return true }
            group.addTask { try? await Task.sleep(for: .seconds(20)); return false }
            let first = await group.next() ?? false
            if !first { await daemon.kill9() }
            group.cancelAll()
            return first
        }
        #expect(stopped && ContinuousClock.now - started < .seconds(10), "SIGTERM took \(ContinuousClock.now - started)")
        follower.cancel()
    }

    @Test func paastechRunStreamsACommandInsideAnInstance() async throws {
        let daemon = try Daemon()
        try await daemon.start()
        var request = Self.deployRequest(directory: try SupervisorHarness.releaseDirectory(serving: "x"))
        request.command = ["/bin/sleep", "1000"]
        request.projectName = "run-shop"
        _ = try await PomegranateConnection.withClient(socketPath: daemon.socket) { try await $0.releases.deploy(request) }

        let path = daemon.base + "/run-output.log"
        let output = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        let input = open("/dev/null", O_RDONLY | O_CLOEXEC)
        let child = try ChildProcess.spawn(
            executable: SupervisorHarness.root + "/.build/debug/paastech",
            arguments: ["run", "--config", daemon.configPath, "--env", "GREETING=hi there", "run-shop/web", "--",
                        "/bin/sh", "-c", "echo \"$GREETING from $(hostname)\"; ps -e -o comm= | grep -c sleep; echo oops >&2; exit 3"],
            environment: ["PATH": "/usr/bin:/bin"], passingFDs: [], output: output, input: input)
        close(output)
        close(input)
        let termination = await child.waitForExit()
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        #expect(termination == .exited(code: 3), "\(text)")
        #expect(text.contains("hi there from web-"), "\(text)")
        #expect(text.contains("1\n"), "the session sees the instance's sleep: \(text)")
        #expect(text.contains("oops"))

        let unknown = try ChildProcess.spawn(
            executable: SupervisorHarness.root + "/.build/debug/paastech",
            arguments: ["run", "--config", daemon.configPath, "nope/web", "--", "/bin/true"],
            environment: ["PATH": "/usr/bin:/bin"], passingFDs: [])
        #expect(await unknown.waitForExit() != .exited(code: 0))

        try await daemon.stopDeployment(request.deploymentID)
        await daemon.stop()
    }

    @Test func badRequestsGetInvalidArgumentNamingTheField() async throws {
        let daemon = try Daemon()
        try await daemon.start()
        var request = Self.deployRequest(directory: "/tmp/../etc")
        await #expect(throws: RPCError.self) {
            _ = try await PomegranateConnection.withClient(socketPath: daemon.socket) { try await $0.releases.deploy(request) }
        }
        request.releaseDirectory = try SupervisorHarness.releaseDirectory(serving: "x")
        request.deploymentID = "not-a-uuid"
        do {
            _ = try await PomegranateConnection.withClient(socketPath: daemon.socket) { try await $0.releases.deploy(request) }
            Issue.record("an invalid deployment id was accepted")
        } catch let error as RPCError {
            #expect(error.code == .invalidArgument)
            #expect(error.message.hasPrefix("deployment_id:"))
        }
        var unknown = Paastech_Pomegranate_V1_PromoteRequest()
        unknown.deploymentID = UUID().uuidString.lowercased()
        unknown.releaseID = "r1"
        do {
            _ = try await PomegranateConnection.withClient(socketPath: daemon.socket) { try await $0.releases.promote(unknown) }
            Issue.record("promoting an unknown deployment succeeded")
        } catch let error as RPCError {
            #expect(error.code == .notFound)
        }
        #expect(try await daemon.status().isEmpty)
        await daemon.stop()
    }
}
