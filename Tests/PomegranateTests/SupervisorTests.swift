import Foundation
import Glibc
import Pomegranate
import Testing

@Suite("Supervisor: real sandboxes", .serialized)
struct SupervisorTests {
    @Test func deployPromoteAndRedeployWithoutDowntime() async throws {
        let supervisor = try SupervisorHarness.supervisor()
        let identity = SupervisorHarness.identity()
        let host = "web.shop.apps.test"
        let first = try await supervisor.deploy(identity, SupervisorHarness.webSpec(
            release: "r1", directory: try SupervisorHarness.releaseDirectory(serving: "release one"), instances: 2, hosts: [host]))
        #expect(first.count == 2 && first.allSatisfy { $0.state == .running && $0.pid != nil })
        for instance in first {
            let body = await SupervisorHarness.waitForHTTP(try #require(instance.address))
            let log = await Self.logText(supervisor, identity)
            #expect(body == "release one", "\(instance): \(log)")
        }
        // Not routed before promote.
        var routes = await supervisor.watchRoutes().makeAsyncIterator()
        #expect(await routes.next()?.routes.isEmpty == true)
        _ = try await supervisor.promote(deploymentID: identity.deploymentID, releaseID: "r1")
        let table = await SupervisorHarness.routes(of: supervisor) { $0.routes.first?.backends.count == 2 }
        #expect(table?.routes.map(\.host) == [host])
        #expect(Set(table?.routes.first?.backends ?? []) == Set(first.compactMap(\.address)))

        // Redeploy: the new release runs next to the old one, then takes the route; the old one retires.
        let second = try await supervisor.deploy(identity, SupervisorHarness.webSpec(
            release: "r2", directory: try SupervisorHarness.releaseDirectory(serving: "release two"), instances: 1, hosts: [host]))
        let newAddress = try #require(second.first?.address)
        #expect(await SupervisorHarness.waitForHTTP(newAddress) == "release two")
        #expect(first.allSatisfy { HTTPProbe.get(address: $0.address ?? "") == "release one" })
        let retired = try await supervisor.promote(deploymentID: identity.deploymentID, releaseID: "r2")
        #expect(Set(retired.map(\.id)) == Set(first.map(\.id)))
        #expect(retired.allSatisfy { $0.state == .stopping }, "\(retired)")
        // Nothing is open to them: they stop after the drain delay.
        #expect(await SupervisorHarness.eventually(5) { first.allSatisfy { $0.pid.map { kill($0, 0) != 0 } ?? false } })
        #expect(await SupervisorHarness.eventually(5) {
            await supervisor.status(deploymentID: identity.deploymentID).first?.instances.map(\.id) == second.map(\.id)
        })
        #expect(await supervisor.status(deploymentID: identity.deploymentID).first?.servingReleaseID == "r2")

        _ = await supervisor.stop(deploymentID: identity.deploymentID)
        #expect(await supervisor.status(deploymentID: identity.deploymentID).isEmpty)
        #expect(HTTPProbe.get(address: newAddress, timeoutMilliseconds: 300) == nil)
    }

    /// After a switch the old instance serves what is still open to it (here a connection with a request
    /// half sent, as a slow upload or a WebSocket holds one) and stops once it closes; its build stays meanwhile.
    /// With the connection held past the drain timeout, it is stopped anyway.
    @Test func theOldReleaseStopsOnceItsOpenConnectionsEnd() async throws {
        for holdsPastTimeout in [false, true] {
            let supervisor = try SupervisorHarness.supervisor { $0.drainTimeout = holdsPastTimeout ? .seconds(3) : .seconds(60) }
            let identity = SupervisorHarness.identity()
            // Builds as the pipeline leaves them: v<N> directories side by side.
            let builds = try SupervisorHarness.releaseDirectory(serving: "")
            defer { try? FileManager.default.removeItem(atPath: builds) }
            let (oldDirectory, newDirectory) = (builds + "/v1", builds + "/v2")
            for (directory, body) in [(oldDirectory, "old"), (newDirectory, "new")] {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
                try body.write(toFile: directory + "/index.html", atomically: false, encoding: .utf8)
                chmod(directory + "/index.html", 0o644)
            }
            let old = try #require(try await supervisor.deploy(identity, SupervisorHarness.webSpec(release: "r1", directory: oldDirectory)).first)
            _ = try await supervisor.promote(deploymentID: identity.deploymentID, releaseID: "r1")
            let oldAddress = try #require(old.address)
            #expect(await SupervisorHarness.waitForHTTP(oldAddress) == "old")
            let client = try TCPClient(address: oldAddress)
            try client.send("GET / HTTP/1.1\r\nHost: x\r\n")  // a request in flight: its end is still to come

            _ = try await supervisor.deploy(identity, SupervisorHarness.webSpec(release: "r2", directory: newDirectory))
            let switched = ContinuousClock.now
            #expect(try await supervisor.promote(deploymentID: identity.deploymentID, releaseID: "r2").map(\.id) == [old.id])
            let oldPID = try #require(old.pid)
            try await Task.sleep(for: .milliseconds(2000))
            #expect(kill(oldPID, 0) == 0, "stopped with a connection open")
            #expect(try await supervisor.removeBuilds(deploymentID: identity.deploymentID, builds: [oldDirectory]) == [])
            #expect(FileManager.default.fileExists(atPath: oldDirectory), "the draining instance's build was deleted")
            if holdsPastTimeout {
                #expect(await SupervisorHarness.eventually(5) { kill(oldPID, 0) != 0 }, "not stopped at the drain timeout")
                #expect(ContinuousClock.now - switched >= .seconds(3))
                #expect(await Self.logText(supervisor, identity).contains("still open (drain timeout)"))
            } else {
                try client.send("\r\n")
                #expect(try client.receive().hasPrefix("HTTP/1.0 200"), "the request in flight is answered by the old release")
                client.close()
                #expect(await SupervisorHarness.eventually(3) { kill(oldPID, 0) != 0 }, "still running after its last connection closed")
                // (Under load an earlier probe's connection may still be counted too.)
                #expect(await Self.logText(supervisor, identity).contains("open connection(s); it stops once they end"))
                #expect(await SupervisorHarness.eventually(3) {
                    (try? await supervisor.removeBuilds(deploymentID: identity.deploymentID, builds: [oldDirectory])) == [oldDirectory]
                }, "the build stays after its instance stopped")
            }
            _ = await supervisor.stop(deploymentID: identity.deploymentID)
        }
    }

    @Test func scalingStartsAndStopsInstancesOfTheServingRelease() async throws {
        let supervisor = try SupervisorHarness.supervisor()
        let identity = SupervisorHarness.identity()
        _ = try await supervisor.deploy(identity, SupervisorHarness.webSpec(
            release: "r1", directory: try SupervisorHarness.releaseDirectory(serving: "scaled"), instances: 1, hosts: ["web.shop.apps.test"]))
        _ = try await supervisor.promote(deploymentID: identity.deploymentID, releaseID: "r1")
        let up = try await supervisor.scale(deploymentID: identity.deploymentID, instances: 3)
        #expect(up.count == 3 && up.allSatisfy { $0.state == .running })
        for instance in up {
            #expect(await SupervisorHarness.waitForHTTP(try #require(instance.address)) == "scaled")
        }
        let routed = await SupervisorHarness.routes(of: supervisor) { $0.routes.first?.backends.count == 3 }
        #expect(Set(routed?.routes.first?.backends ?? []) == Set(up.compactMap(\.address)))
        let down = try await supervisor.scale(deploymentID: identity.deploymentID, instances: 1)
        #expect(down.count == 1)
        #expect(await SupervisorHarness.routes(of: supervisor) { $0.routes.first?.backends.count == 1 } != nil)
        await #expect(throws: PomegranateError.unknownDeployment("nope")) { try await supervisor.scale(deploymentID: "nope", instances: 2) }
        _ = await supervisor.stop(deploymentID: identity.deploymentID)
    }

    @Test func aWebInstanceIsRoutedOnlyOnceItAcceptsConnections() async throws {
        let supervisor = try SupervisorHarness.supervisor()
        let identity = SupervisorHarness.identity()
        var spec = SupervisorHarness.webSpec(release: "r1", directory: try SupervisorHarness.releaseDirectory(serving: "slow start"),
                                             hosts: ["web.slow.apps.test"])
        spec.command = ["/bin/sh", "-c", "sleep 1.5; exec " + spec.command.joined(separator: " ")]
        let started = try await supervisor.deploy(identity, spec)
        // Promote waits (at most 5 s) for its instances to accept, so the switch never leaves the host without one.
        let promoting = Task { try await supervisor.promote(deploymentID: identity.deploymentID, releaseID: "r1") }
        try await Task.sleep(for: .milliseconds(500))
        let before = await SupervisorHarness.routes(of: supervisor, within: 0.2) { _ in true }
        #expect(before?.routes.isEmpty == true, "routed before its app listens: \(String(describing: before))")
        _ = try await promoting.value
        #expect(HTTPProbe.get(address: started.first?.address ?? "", timeoutMilliseconds: 300) == "slow start", "promoted before it listened")
        let routed = await SupervisorHarness.routes(of: supervisor) { $0.routes.first?.backends.isEmpty == false }
        #expect(routed?.routes.first?.backends == started.compactMap(\.address))
        #expect(HTTPProbe.get(address: started.first?.address ?? "") == "slow start")
        _ = await supervisor.stop(deploymentID: identity.deploymentID)
    }

    @Test func anIdleDeploymentSleepsAndAWakeStartsItAgain() async throws {
        let supervisor = try SupervisorHarness.supervisor()
        let identity = SupervisorHarness.identity()
        let host = "web.sleepy.apps.test"
        var spec = SupervisorHarness.webSpec(release: "r1", directory: try SupervisorHarness.releaseDirectory(serving: "awake"),
                                             instances: 2, hosts: [host])
        spec.sleepAfterSeconds = 60
        spec.maxBodyBytes = 4096
        let first = try await supervisor.deploy(identity, spec)
        _ = try await supervisor.promote(deploymentID: identity.deploymentID, releaseID: "r1")
        let routed = try #require(await SupervisorHarness.routes(of: supervisor) { $0.routes.first?.backends.count == 2 }?.routes.first)
        #expect(routed.sleepAfterSeconds == 60 && !routed.asleep && routed.maxBodyBytes == 4096)

        // Traffic the edge reports keeps it awake; idle for longer than sleep_after, it sleeps.
        await supervisor.reportActivity(deploymentIDs: [identity.deploymentID])
        await supervisor.sleepIdleDeployments(now: .now + .seconds(59))
        #expect(await supervisor.status(deploymentID: identity.deploymentID).first?.asleep == false)
        await supervisor.sleepIdleDeployments(now: .now + .seconds(61))
        let asleep = try #require(await supervisor.status(deploymentID: identity.deploymentID).first)
        #expect(asleep.asleep && asleep.instances.isEmpty && asleep.desiredInstances == 2)
        #expect(first.allSatisfy { $0.pid.map { kill($0, 0) != 0 } ?? false }, "instances still running while asleep")
        let sleepingRoute = try #require(await SupervisorHarness.routes(of: supervisor) { $0.routes.first?.asleep == true }?.routes.first)
        #expect(sleepingRoute.backends.isEmpty && sleepingRoute.host == host)
        #expect(await Self.logText(supervisor, identity).contains("sleeping until the next request"))

        // A request wakes it: both instances start and are routed once they accept connections.
        #expect(try await supervisor.wake(deploymentID: identity.deploymentID))
        let woken = try #require(await SupervisorHarness.routes(of: supervisor) { $0.routes.first?.backends.count == 2 }?.routes.first)
        #expect(!woken.asleep)
        for backend in woken.backends { #expect(HTTPProbe.get(address: backend) == "awake") }
        #expect(try await supervisor.wake(deploymentID: identity.deploymentID) == false, "woke an awake deployment")

        // A deploy wakes a sleeping deployment: the new release must run to be health-checked.
        await supervisor.sleepIdleDeployments(now: .now + .seconds(61))
        #expect(await supervisor.status(deploymentID: identity.deploymentID).first?.asleep == true)
        spec.releaseID = "r2"
        let second = try await supervisor.deploy(identity, spec)
        #expect(second.count == 2 && second.allSatisfy { $0.state == .running })
        #expect(await supervisor.status(deploymentID: identity.deploymentID).first?.asleep == false)
        await #expect(throws: PomegranateError.unknownDeployment("nope")) { try await supervisor.wake(deploymentID: "nope") }
        _ = await supervisor.stop(deploymentID: identity.deploymentID)
    }

    @Test func aCrashLoopIsRestartedWithBackoffAndItsLogsStay() async throws {
        let supervisor = try SupervisorHarness.supervisor { $0.restartBackoffMaxSeconds = 2 }
        let identity = SupervisorHarness.identity(deployment: "worker")
        let spec = ReleaseSpec(releaseID: "r1", releaseDirectory: try SupervisorHarness.releaseDirectory(serving: ""),
                               command: ["/bin/sh", "-c", "echo started $PAASTECH_INSTANCE; echo boom >&2; exit 3"],
                               port: 8000, stopTimeoutSeconds: 2, instances: 1)
        let started = ContinuousClock.now
        let instance = try #require(try await supervisor.deploy(identity, spec).first)
        let restartedTwice = await SupervisorHarness.eventually(8) {
            (await supervisor.status(deploymentID: identity.deploymentID).first?.instances.first?.restarts ?? 0) >= 3
        }
        #expect(restartedTwice)
        // The third restart is scheduled after waiting 1 s, then 2 s.
        #expect(ContinuousClock.now - started >= .seconds(3))
        let current = try #require(await supervisor.status(deploymentID: identity.deploymentID).first?.instances.first)
        #expect(current.id == instance.id)
        #expect(current.lastExit?.contains("status 3") == true)

        var lines: [LogLine] = []
        for await line in supervisor.logs.lines(deploymentID: identity.deploymentID, follow: false) { lines.append(line) }
        #expect(lines.filter { $0.stream == .stdout && $0.text == "started \(instance.id)" }.count >= 3)
        #expect(lines.contains { $0.stream == .stderr && $0.text == "boom" })
        // The backoff doubles: 1 s after the first crash, 2 s after the second (the maximum here).
        let backoffs = lines.filter { $0.stream == .system && $0.text.contains("restarting in") }.map(\.text)
        #expect(backoffs.count >= 2 && backoffs[0].hasSuffix("restarting in 1 s (restart 1)") && backoffs[1].hasSuffix("restarting in 2 s (restart 2)"),
                "\(backoffs)")
        _ = await supervisor.stop(deploymentID: identity.deploymentID)
    }

    /// Each project runs under a uid of its own, chosen once: another deployment of the same project gets the same
    /// one, another project another; the instance's processes run under it.
    @Test func eachProjectRunsUnderItsOwnUID() async throws {
        let supervisor = try SupervisorHarness.supervisor()
        let shop = SupervisorHarness.identity(project: "shop", deployment: "web")
        let shopWorker = DeploymentIdentity(projectID: shop.projectID, projectName: "shop",
                                            deploymentID: UUID().uuidString.lowercased(), deploymentName: "worker")
        let blog = SupervisorHarness.identity(project: "blog", deployment: "web")
        var uids: [String: Int] = [:]
        for identity in [shop, shopWorker, blog] {
            let spec = ReleaseSpec(releaseID: "r1", releaseDirectory: try SupervisorHarness.releaseDirectory(serving: ""),
                                   command: ["/bin/sleep", "1000"], port: 8000, stopTimeoutSeconds: 2, instances: 1)
            let instance = try #require(try await supervisor.deploy(identity, spec).first)
            let session = try await supervisor.session(deploymentID: identity.deploymentID, instanceID: nil,
                                                       command: ["/bin/sh", "-c", "id -u; id -g"], environment: [:])
            await session.closeInput()
            var output = ""
            for await chunk in session.output { if case .stdout(let bytes) = chunk { output += String(decoding: bytes, as: UTF8.self) } }
            let ids = output.split(separator: "\n").compactMap { Int($0) }
            let uid = try #require(ids.first, "\(output)")
            #expect(ids == [uid, uid], "gid = uid: \(output)")
            #expect((62_000...62_999).contains(uid))
            // The instance itself (its init, and the app below it), seen from the host.
            let status = try String(contentsOfFile: "/proc/\(try #require(instance.pid))/status", encoding: .utf8)
            #expect(status.contains("\nUid:\t\(uid)\t\(uid)\t\(uid)\t\(uid)\n"), "\(status)")
            uids[identity.deploymentName + "." + identity.projectName] = uid
        }
        #expect(uids["web.shop"] == uids["worker.shop"], "\(uids)")
        #expect(uids["web.shop"] != uids["web.blog"], "\(uids)")
        for identity in [shop, shopWorker, blog] { _ = await supervisor.stop(deploymentID: identity.deploymentID) }
    }

    /// An instance killed at its memory limit says so: in its status, and in the deployment's log.
    @Test func anOOMKillIsReportedWithTheInstance() async throws {
        let supervisor = try SupervisorHarness.supervisor()
        let identity = SupervisorHarness.identity(deployment: "worker")
        let spec = ReleaseSpec(releaseID: "r1", releaseDirectory: try SupervisorHarness.releaseDirectory(serving: ""),
                               command: ["/usr/bin/python3", "-c", "print('allocating', flush=True); b = bytearray(200 << 20); print('survived')"],
                               port: 8000, memoryBytes: 64 << 20, stopTimeoutSeconds: 2, instances: 1)
        let instance = try #require(try await supervisor.deploy(identity, spec).first)
        let reported = await SupervisorHarness.eventually(10) {
            await supervisor.status(deploymentID: identity.deploymentID).first?.instances.first?.lastExit != nil
        }
        #expect(reported)
        let current = try #require(await supervisor.status(deploymentID: identity.deploymentID).first?.instances.first)
        #expect(current.id == instance.id)
        #expect(current.lastExit?.contains("memory limit") == true, "\(String(describing: current.lastExit))")
        var lines: [LogLine] = []
        for await line in supervisor.logs.lines(deploymentID: identity.deploymentID, follow: false) { lines.append(line) }
        #expect(lines.contains { $0.stream == .stdout && $0.text == "allocating" })
        #expect(!lines.contains { $0.text == "survived" })
        #expect(lines.contains { $0.stream == .system && $0.text.hasPrefix(instance.id) && $0.text.contains("memory limit") },
                "\(lines.map(\.text))")
        _ = await supervisor.stop(deploymentID: identity.deploymentID)
    }

    /// Pruned builds belong to the project's uid, so the pipeline has pomegranate delete them: only `v<N>`
    /// directories beside the deployment's releases, never one a release runs, nothing else on the host.
    @Test func removesUnusedBuildsBesideTheReleasesAndNothingElse() async throws {
        let supervisor = try SupervisorHarness.supervisor()
        let identity = SupervisorHarness.identity(deployment: "worker")
        let deploymentDirectory = "/tmp/paastech-test-builds-\(UUID().uuidString.prefix(8))/\(identity.deploymentID)"
        defer { try? FileManager.default.removeItem(atPath: (deploymentDirectory as NSString).deletingLastPathComponent) }
        for build in ["v1", "v2", "v3"] {
            // As a build leaves them: the project's uid owns them, not the caller (root here).
            let directory = deploymentDirectory + "/" + build + "/venv"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try "x".write(toFile: directory + "/file", atomically: false, encoding: .utf8)
            for path in [directory + "/file", directory, deploymentDirectory + "/" + build] { chown(path, 62_001, 62_001); chmod(path, 0o700) }
        }
        chmod(deploymentDirectory + "/v3", 0o755)
        let spec = ReleaseSpec(releaseID: "v3", releaseDirectory: deploymentDirectory + "/v3", command: ["/bin/sleep", "1000"],
                               port: 8000, memoryBytes: 96 << 20, stopTimeoutSeconds: 2, instances: 1)
        _ = try await supervisor.deploy(identity, spec)
        _ = try await supervisor.promote(deploymentID: identity.deploymentID, releaseID: "v3")

        for refused in [deploymentDirectory + "/v3", "/etc", deploymentDirectory + "/../v1", deploymentDirectory + "/v1x",
                        deploymentDirectory + "/v+1", "/tmp/elsewhere/\(identity.deploymentID)/v1"] {
            await #expect(throws: PomegranateError.self, "\(refused)") {
                try await supervisor.removeBuilds(deploymentID: identity.deploymentID, builds: [deploymentDirectory + "/v1", refused])
            }
        }
        #expect(FileManager.default.fileExists(atPath: deploymentDirectory + "/v1"), "a refused request deletes nothing")
        await #expect(throws: PomegranateError.unknownDeployment("nope")) {
            try await supervisor.removeBuilds(deploymentID: "nope", builds: [deploymentDirectory + "/v1"])
        }
        let removed = try await supervisor.removeBuilds(deploymentID: identity.deploymentID,
                                                        builds: [deploymentDirectory + "/v1", deploymentDirectory + "/v2", deploymentDirectory + "/v9"])
        #expect(removed == [deploymentDirectory + "/v1", deploymentDirectory + "/v2"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: deploymentDirectory) == ["v3"])
        _ = await supervisor.stop(deploymentID: identity.deploymentID)
    }

    @Test func stopSendsSIGTERMToTheAppAndWaits() async throws {
        let supervisor = try SupervisorHarness.supervisor()
        let identity = SupervisorHarness.identity()
        let spec = ReleaseSpec(releaseID: "r1", releaseDirectory: try SupervisorHarness.releaseDirectory(serving: ""),
                               command: ["/bin/sh", "-c", "trap 'echo got TERM; exit 0' TERM; echo ready; while :; do sleep 0.1; done"],
                               port: 8000, stopTimeoutSeconds: 5, instances: 1)
        _ = try await supervisor.deploy(identity, spec)
        #expect(await SupervisorHarness.eventually { await Self.logText(supervisor, identity).contains("ready") })
        let stopped = await supervisor.stop(deploymentID: identity.deploymentID)
        #expect(stopped.count == 1)
        #expect(await SupervisorHarness.eventually(3) { await Self.logText(supervisor, identity).contains("got TERM") })
    }

    @Test func aSessionRunsInsideTheInstance() async throws {
        let supervisor = try SupervisorHarness.supervisor()
        let identity = SupervisorHarness.identity()
        let spec = ReleaseSpec(releaseID: "r1", releaseDirectory: try SupervisorHarness.releaseDirectory(serving: ""),
                               command: ["/bin/sleep", "1000"], port: 8000, memoryBytes: 96 << 20, stopTimeoutSeconds: 2, instances: 1)
        let instance = try #require(try await supervisor.deploy(identity, spec).first)
        let session = try await supervisor.session(
            deploymentID: identity.deploymentID, instanceID: nil,
            command: ["/bin/sh", "-c", "read line; echo \"input=$line\"; ps -e -o comm=; id -u; hostname; grep Seccomp: /proc/self/status; cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null; exit 7"],
            environment: [:])
        try await session.write(Array("hello\n".utf8))
        await session.closeInput()
        var output = ""
        var status: Int32?
        for await chunk in session.output {
            switch chunk {
            case .stdout(let bytes): output += String(decoding: bytes, as: UTF8.self)
            case .stderr(let bytes): output += String(decoding: bytes, as: UTF8.self)
            case .exit(let code): status = code
            }
        }
        #expect(status == 7)
        #expect(output.contains("input=hello"))
        #expect(output.contains("sleep"), "the session sees the instance's processes: \(output)")
        #expect(output.contains("\(instance.id)\n"), "the session has the instance's hostname: \(output)")
        #expect(output.contains("Seccomp:\t2"))
        #expect(output.contains(String(96 << 20)), "the session is under the instance's memory limit: \(output)")
        #expect(output.split(separator: "\n").contains { Int($0).map { (62_000...62_999).contains($0) } ?? false })
        _ = await supervisor.stop(deploymentID: identity.deploymentID)
    }

    @Test func aBuildStreamsItsOutputAndWritesItsSource() async throws {
        let supervisor = try SupervisorHarness.supervisor()
        let identity = SupervisorHarness.identity()
        let source = try SupervisorHarness.releaseDirectory(serving: "source")
        let request = BuildRequest(identity: identity, buildID: "b1", sourceDirectory: source,
                                   command: ["/bin/sh", "-c", "echo compiling; cat index.html; echo; echo built > /app/output.txt; echo done >&2"])
        var lines: [String] = []
        var result: BuildResult?
        for await event in supervisor.build(request) {
            switch event {
            case .output(let line): lines.append(line)
            case .finished(let finished): result = finished
            }
        }
        #expect(result?.succeeded == true, "\(String(describing: result)) \(lines)")
        #expect(lines == ["compiling", "source", "done"])
        #expect((try? String(contentsOfFile: source + "/output.txt", encoding: .utf8)) == "built\n")

        let failing = BuildRequest(identity: identity, buildID: "b2", sourceDirectory: source, command: ["/bin/sh", "-c", "exit 4"])
        var failure: BuildResult?
        for await event in supervisor.build(failing) { if case .finished(let finished) = event { failure = finished } }
        #expect(failure?.exitStatus == 4 && failure?.succeeded == false)
    }

    static func logText(_ supervisor: Supervisor, _ identity: DeploymentIdentity) async -> String {
        var text = ""
        for await line in supervisor.logs.lines(deploymentID: identity.deploymentID, follow: false) { text += line.text + "\n" }
        return text
    }
}
