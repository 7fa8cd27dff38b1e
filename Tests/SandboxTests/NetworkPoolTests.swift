import Foundation
import Glibc
import Systemd
import Testing

@testable import Sandbox

@Suite("Network namespaces wired ahead of time", .serialized)
struct NetworkPoolTests {
    static func makeRunner() throws -> SandboxRunner {
        var network = SandboxRunner.NetworkSettings()
        network.bridgeName = "ptpool0"
        network.subnet = "10.92.0.0/16"
        network.stateDirectory = "/tmp/paastech-test-pool-network"
        network.firewallTable = "paastechpooltest"
        network.poolSize = 2
        return try SandboxRunner(initExecutable: SandboxHarness.initPath, stagingRoot: "/tmp/paastech-test-sandbox-root", network: network)
    }

    /// The host ends of the pool's veth pairs now on the bridge.
    static func poolPorts() -> Set<String> {
        Set(((try? FileManager.default.contentsOfDirectory(atPath: "/sys/class/net/ptpool0/brif")) ?? []).filter { $0.hasPrefix("ptp") })
    }

    static func eventually(_ condition: () -> Bool) async -> Bool {
        for _ in 0..<250 {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    @Test("a bridged sandbox joins a prepared namespace once; it is destroyed after use and the pool refills")
    func preparedNamespaceUsedOnce() async throws {
        let runner = try Self.makeRunner()
        let network = try runner.platformNetwork()
        network.pool.fill()  // otherwise the first sandbox starts it
        #expect(await Self.eventually { network.pool.placeholderIDs.count == 2 }, "the pool fills in the background")
        let ready = Self.poolPorts()
        #expect(ready.count >= 2, "\(ready)")

        let output = OutputFile()
        var options = SandboxOptions(command: ["/usr/bin/python3", "-c", """
            import socket, sys, time
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.connect(('10.92.0.1', 9))
            print(s.getsockname()[0], [name for _, name in socket.if_nameindex()]); sys.stdout.flush(); time.sleep(30)
            """], hostname: "pooled", uid: 61000, gid: 61000, network: .bridged(egress: true))
        options.id = "pool-user"
        options.stdio = [0, output.fd, output.fd]
        let sandbox = try await runner.start(options)
        let address = try #require(sandbox.address)
        #expect(await output.waitFor("\n"))
        #expect(output.contents == "\(address) ['lo', 'eth0']\n", "\(output.contents)")
        network.allocator.waitUntilSaved()
        let state = try String(contentsOfFile: "/tmp/paastech-test-pool-network/addresses.json", encoding: .utf8)
        #expect(state.contains("\"\(address)\" : \"pool-user\""), "the address is recorded for the sandbox: \(state)")

        sandbox.signal(SIGKILL)
        _ = await sandbox.waitForExit()
        // The sandbox's prepared namespace died with it: one of the ports that were ready is gone for good.
        #expect(await Self.eventually { !ready.isSubset(of: Self.poolPorts()) }, "\(ready) vs \(Self.poolPorts())")
        #expect(await Self.eventually { network.pool.placeholderIDs.count == 2 }, "refilled")
        #expect(ready.intersection(Self.poolPorts()).count == 1, "only the unused one is still there")
    }
}
