import Foundation
import Glibc
import Logging
import Systemd
import Testing
@testable import Cgroups

/// Shared helpers: unique names, machine checks, file reads, processes held until attached.
enum TestSupport {
    static let logger = Logger(label: "CgroupsTests")

    /// A name no other test run uses, valid as a cgroup id: `paastech-test-<pid>-<random>`.
    static func uniqueName() -> String {
        "paastech-test-\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
    }

    static var isRoot: Bool { getuid() == 0 }

    /// Legacy or hybrid host (cgroup v1 controllers below a tmpfs), as on the development machine.
    static var isLegacyHost: Bool { isRoot && (try? CgroupMode.detect()) == .legacy }

    /// The hybrid layout's v2 hierarchy, without controllers but with real cgroup.procs and cgroup.kill.
    static let hybridUnifiedRoot = "/sys/fs/cgroup/unified"
    static var hasHybridUnifiedHierarchy: Bool {
        isRoot && (try? CgroupMode.detect(root: hybridUnifiedRoot)) == .unified
    }

    static func read(_ path: String) throws -> String {
        try String(contentsOfFile: path, encoding: .utf8)
    }

    static func write(_ content: String, to path: String) throws {
        try content.write(toFile: path, atomically: false, encoding: .utf8)
    }

    static func exists(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: path)
    }

    /// The v1 path of `controller`'s leaf of `name`.
    static func leafPath(_ manager: CgroupV1Manager, _ name: CgroupName, _ controller: LegacyController) throws -> String {
        try #require(manager.leafPath(name, in: controller))
    }

    /// Runs `body` with a prepared v1 manager in a unique subtree of each controller, and removes every
    /// leaf and the subtree afterwards, also when `body` throws.
    static func withLegacyManager(_ body: (CgroupV1Manager) async throws -> Void) async throws {
        let manager = try CgroupV1Manager(subtree: uniqueName(), logger: logger)
        do {
            try manager.prepare()
            try await body(manager)
        } catch {
            await removeTree(of: manager)
            throw error
        }
        await removeTree(of: manager)
    }

    /// Kills and removes every leaf, then the subtree directories.
    static func removeTree(of manager: CgroupV1Manager) async {
        for name in (try? manager.existing()) ?? [] {
            if let cgroup = try? manager.adopt(name) { try? await manager.remove(cgroup) }
        }
        for base in manager.baseDirectories {
            for parent in CgroupName.parentDirectories { rmdir(joinPath(base, parent)) }
            rmdir(base)
        }
    }

    /// An open `/dev/null` for children's output.
    static func openDevNull() throws -> Int32 {
        let fd = open("/dev/null", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SystemCallError(operation: "open(/dev/null)", errno: errno) }
        return fd
    }
}

/// A process that waits, blocked on a pipe, until ``release()``: it can be attached to a cgroup before it
/// allocates or forks anything. Without a release it exits without running the program.
final class HeldProcess: Sendable {
    let child: ChildProcess
    private let releaseFD: Int32

    /// Starts `/bin/sh`, which waits for a line on fd 3 and then execs `executable` with `arguments`.
    init(_ executable: String, _ arguments: [String], output: Int32? = nil) throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw SystemCallError(operation: "pipe", errno: errno) }
        defer { close(fds[0]) }
        do {
            child = try ChildProcess.spawn(
                executable: "/bin/sh",
                arguments: ["-c", "read go <&3 && exec \"$@\"", "sh", executable] + arguments,
                environment: ["PATH": "/usr/bin:/bin"],
                passingFDs: [fds[0]],
                output: output
            )
        } catch {
            close(fds[1])
            throw error
        }
        releaseFD = fds[1]
    }

    var pid: pid_t { child.pid }

    /// Lets the program run.
    func release() {
        _ = "go\n".withCString { Glibc.write(releaseFD, $0, 3) }
    }

    deinit {
        close(releaseFD)
    }
}
