import Cgroups
import Foundation
import Glibc
import Logging
import Sandbox
import Testing

/// Runs sandboxes for tests with their output captured in a file.
enum SandboxHarness {
    /// The built paastech-init of this checkout: the libc-free one `make build` makes, as paastech
    /// itself prefers, else SwiftPM's.
    static let initPath: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let tiny = root.appendingPathComponent(".build/debug/paastech-init-tiny").path
        return FileManager.default.isExecutableFile(atPath: tiny) ? tiny : root.appendingPathComponent(".build/debug/paastech-init").path
    }()

    static let runner: SandboxRunner = {
        // safe: the test target cannot run without the built init; failing loudly is the point
        var network = SandboxRunner.NetworkSettings()
        network.bridgeName = "ptsbx0"
        network.subnet = "10.90.0.0/16"
        network.stateDirectory = "/tmp/paastech-test-sandbox-network"
        network.firewallTable = "paastechsandboxtest"
        // Its own cgroup v1 subtree: a pomegranate started by another test (paastech dev) must not take these
        // sandboxes for its own leftovers and kill them.
        let cgroups = try! makeCgroupManager(legacySubtree: "paastech-test-sandbox", logger: Logger(label: "test"))  // safe: see above
        return try! SandboxRunner(initExecutable: initPath, stagingRoot: "/tmp/paastech-test-sandbox-root",  // safe: see above
                                  network: network, cgroups: cgroups)
    }()

    struct Result {
        var status: Int32?
        var output: String
        var exit: SandboxExit
    }

    static func options(_ script: String, uid: uid_t = 61000) -> SandboxOptions {
        SandboxOptions(command: ["/bin/sh", "-c", script], hostname: "test-instance", uid: uid, gid: uid)
    }

    /// Runs `script` with /bin/sh in a sandbox and returns its status and combined output.
    static func run(_ options: SandboxOptions) async throws -> Result {
        let path = "/tmp/paastech-sandbox-out-\(UUID().uuidString.prefix(8))"
        let output = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        let devNull = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { close(output); close(devNull); unlink(path) }
        var options = options
        options.stdio = [devNull, output, output]
        let exit = try await runner.run(options)
        return Result(status: exit.status, output: (try? String(contentsOfFile: path, encoding: .utf8)) ?? "", exit: exit)
    }

    static func run(_ script: String) async throws -> Result {
        try await run(options(script))
    }
}
