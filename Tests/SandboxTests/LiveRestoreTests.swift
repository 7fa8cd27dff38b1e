import Cgroups
import Foundation
import Glibc
import Logging
import Sandbox
import Testing

/// Two runners on their own cgroup subtree, bridge, address state and nftables table: "before" and
/// "after" a pomegranate restart. Serialized: reconcile removes whatever else lives there.
@Suite("Live restore: held fds, adoption, reconcile and graceful stop", .serialized)
struct LiveRestoreTests {
    static let settings: SandboxRunner.NetworkSettings = {
        var network = SandboxRunner.NetworkSettings()
        network.bridgeName = "ptrst0"
        network.subnet = "10.91.0.0/16"
        network.stateDirectory = "/tmp/paastech-test-restore-network"
        network.firewallTable = "paastechrestoretest"
        return network
    }()

    /// A fresh runner, as a restarted pomegranate would make one.
    static func makeRunner() throws -> SandboxRunner {
        let logger = Logger(label: "test")
        let cgroups: any CgroupManager = switch try CgroupMode.detect() {
        case .legacy: try CgroupV1Manager(subtree: "paastech-test-restore", logger: logger)
        case .unified: try makeCgroupManager(logger: logger)
        }
        let initPath = SandboxHarness.initPath
        return try SandboxRunner(initExecutable: initPath, stagingRoot: "/tmp/paastech-test-sandbox-root", network: settings,
                                 cgroups: cgroups, logger: logger)
    }

    static func start(_ runner: SandboxRunner, id: String, script: String, network: SandboxOptions.NetworkMode = .loopback,
                      output: OutputFile, heldFDs: [Int32] = []) async throws -> RunningSandbox {
        var options = SandboxHarness.options(script)
        options.id = id
        options.network = network
        options.stdio = [0, output.fd, output.fd]
        options.heldFDs = heldFDs
        options.limits = .init(memoryBytes: 64 << 20)
        return try await runner.start(options)
    }

    static func noEgressSet() async throws -> String {
        try await NetworkSandboxTests.output(["/usr/sbin/nft", "list", "set", "inet", settings.firewallTable, "noegress"]).1
    }

    @Test("held fds stay with the init, not the app, and come back with pidfd_getfd")
    func heldFDs() async throws {
        let runner = try Self.makeRunner()
        var pipeEnds: [Int32] = [-1, -1]
        #expect(pipe(&pipeEnds) == 0)
        defer { close(pipeEnds[1]) }
        let output = OutputFile()
        let sandbox = try await Self.start(runner, id: "restore-held", script: """
            if [ -e /proc/$$/fd/3 ]; then echo app-has-3; else echo app-lacks-3; fi; echo ready; sleep 30
            """, output: output, heldFDs: [pipeEnds[0]])
        #expect(await output.waitFor("ready"))
        #expect(output.contents.contains("app-lacks-3"), "\(output.contents)")

        var original = stat()
        fstat(pipeEnds[0], &original)
        let held = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(sandbox.pid)/fd/3")
        #expect(held == "pipe:[\(original.st_ino)]")
        close(pipeEnds[0])  // as if pomegranate died: only the init holds the read end now

        let copy = try sandbox.duplicateHeldFD(at: 0)
        defer { close(copy) }
        #expect(write(pipeEnds[1], "hello", 5) == 5)
        var buffer = [UInt8](repeating: 0, count: 16)
        let count = read(copy, &buffer, buffer.count)
        #expect(String(decoding: buffer.prefix(max(count, 0)), as: UTF8.self) == "hello")

        let exit = await sandbox.terminate(gracePeriod: .seconds(5))
        #expect(exit.status == 128 + SIGTERM, "\(exit)")
        #expect(!exit.killedAfterGracePeriod)
        #expect(throws: (any Error).self) { _ = try SandboxProcess.duplicateFD(pid: sandbox.pid, pidfd: nil, targetFD: 3) }
    }

    @Test("terminate kills what ignores SIGTERM after the grace period; a concurrent waiter gets the same exit")
    func terminateAfterGracePeriod() async throws {
        let runner = try Self.makeRunner()
        let output = OutputFile()
        let sandbox = try await Self.start(runner, id: "restore-stubborn", script: "trap '' TERM; echo ready; while :; do sleep 0.05; done",
                                           output: output)
        #expect(await output.waitFor("ready"))
        async let waited = sandbox.waitForExit()
        let started = ContinuousClock.now
        let exit = await sandbox.terminate(gracePeriod: .milliseconds(300))
        let elapsed = ContinuousClock.now - started
        #expect(exit.killedAfterGracePeriod, "\(exit)")
        #expect(exit.status == 128 + SIGKILL, "\(exit)")
        #expect(elapsed >= .milliseconds(300) && elapsed < .seconds(5), "\(elapsed)")
        #expect(await waited == exit)
        #expect(sandbox.cgroup.processes().isEmpty)
    }

    @Test("a restarted runner adopts a live sandbox: same pid, address and egress block kept, sessions work, status unknown")
    func adoptLiveSandbox() async throws {
        let before = try Self.makeRunner()
        let output = OutputFile()
        let original = try await Self.start(before, id: "restore-live", script: "echo ready; exec sleep 30",
                                            network: .bridged(egress: false), output: output)
        #expect(await output.waitFor("ready"))
        let address = try #require(original.address)
        #expect(try await Self.noEgressSet().contains(address))

        // The restart: a new runner re-applies the firewall table (on its first network use) and keeps the block.
        let after = try Self.makeRunner()
        try await after.reconcile(keeping: ["restore-live"])
        #expect(try await Self.noEgressSet().contains(address), "the block survives the table being replaced")
        let adopted = try #require(try await after.adopt(id: "restore-live", isBuild: false, pid: original.pid, address: address,
                                                          egress: false, limits: .init(memoryBytes: 64 << 20)))
        #expect(adopted.pid == original.pid)
        #expect(adopted.isAdopted)
        #expect(adopted.address == address)

        let sessionOutput = OutputFile()
        let session = try await after.runSession(in: adopted, command: ["/bin/sh", "-c", "id -u; grep ^Seccomp: /proc/self/status"],
                                                 stdio: [0, sessionOutput.fd, sessionOutput.fd])
        #expect(await session.waitForExit() == 0)
        #expect(sessionOutput.contents == "61000\nSeccomp:\t2\n", "\(sessionOutput.contents)")

        let exit = await adopted.terminate(gracePeriod: .seconds(5))
        #expect(exit.status == nil, "not our child: status unknown")
        #expect(!exit.killedAfterGracePeriod)
        #expect(await original.process.waitForExit() == 128 + SIGTERM, "the real parent (here: the same test process) reaps it")
        #expect(!(try await Self.noEgressSet().contains(address)), "the block is lifted once it ended")
    }

    @Test("adopting with a pid that is not in the sandbox's cgroup gives nil and cleans up the leftovers")
    func adoptWrongPid() async throws {
        let before = try Self.makeRunner()
        let output = OutputFile()
        let leftover = try await Self.start(before, id: "restore-gone", script: "echo ready; exec sleep 30",
                                            network: .bridged(egress: true), output: output)
        #expect(await output.waitFor("ready"))
        let address = try #require(leftover.address)

        let after = try Self.makeRunner()
        let adopted = try await after.adopt(id: "restore-gone", isBuild: false, pid: getpid(), address: address, egress: true,
                                            limits: .init())
        #expect(adopted == nil)
        #expect(await leftover.process.waitForExit() == 128 + SIGKILL, "what was left in the cgroup was killed")
        // The state file is written in the background, soon after.
        var state = ""
        for _ in 0..<100 {
            state = (try? String(contentsOfFile: Self.settings.stateDirectory + "/addresses.json", encoding: .utf8)) ?? ""
            if !state.contains("restore-gone") { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(!state.contains("restore-gone"), "\(state)")
        #expect(try await after.adopt(id: "restore-gone", isBuild: false, pid: leftover.pid, address: nil, egress: true,
                                      limits: .init()) == nil, "no cgroup any more")
    }

    @Test("reconcile removes the cgroups of sandboxes that are not kept")
    func reconcileLeftovers() async throws {
        let before = try Self.makeRunner()
        let output = OutputFile()
        let kept = try await Self.start(before, id: "restore-kept", script: "exec sleep 30", output: output)
        let stale = try await Self.start(before, id: "restore-stale", script: "exec sleep 30", output: output)
        let after = try Self.makeRunner()
        let removed = try await after.reconcile(keeping: ["restore-kept"])
        #expect(removed.contains("restore-stale"))
        #expect(!removed.contains("restore-kept"))
        #expect(await stale.process.waitForExit() == 128 + SIGKILL)
        #expect(kept.cgroup.processes().contains(kept.pid))
        _ = await kept.terminate(gracePeriod: .seconds(5))
    }
}
