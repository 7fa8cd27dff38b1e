import Foundation
import Glibc
import Sandbox
import Testing

@Suite("Sandbox roots copied from a template mount namespace", .serialized)
struct RootTemplateTests {
    @Test("each sandbox has its own identity files over the template's, and its own /tmp")
    func ownIdentity() async throws {
        let first = try await SandboxHarness.run(SandboxOptions(
            command: ["/bin/sh", "-c", "grep ^app: /etc/passwd; cat /etc/hostname; ls /run/etc; touch /tmp/mine; touch /etc/passwd 2>/dev/null && echo WROTE"],
            hostname: "first", uid: 61001, gid: 61001))
        let second = try await SandboxHarness.run(SandboxOptions(
            command: ["/bin/sh", "-c", "grep ^app: /etc/passwd; cat /etc/hostname; ls /tmp"], hostname: "second", uid: 61002, gid: 61002))
        #expect(first.output == "app:x:61001:61001:app:/app:/bin/sh\nfirst\ngroup\nhostname\nhosts\npasswd\n", "\(first.output)")
        #expect(second.output == "app:x:61002:61002:app:/app:/bin/sh\nsecond\n", "no /tmp/mine: \(second.output)")
    }

    @Test("no mount of a sandbox propagates anywhere: every mount is private")
    func privateMounts() async throws {
        let result = try await SandboxHarness.run("wc -l < /proc/self/mountinfo; grep -c -e shared: -e master: /proc/self/mountinfo")
        let counts = result.output.split(separator: "\n").map { Int($0) ?? -1 }
        #expect(counts.count == 2 && counts[0] > 10, "\(result.output)")
        #expect(counts.last == 0, "\(result.output)")
    }

    @Test("a bound host file replaced since the template was built (a new init) is picked up within a second")
    func replacedFileRebuildsTemplate() async throws {
        let directory = "/tmp/paastech-template-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let initPath = directory + "/init"
        try FileManager.default.copyItem(atPath: SandboxHarness.initPath, toPath: initPath)
        let runner = try SandboxRunner(initExecutable: initPath, stagingRoot: "/tmp/paastech-test-sandbox-root")
        var options = SandboxHarness.options("echo original")
        let output = OutputFile()
        options.stdio = [0, output.fd, output.fd]
        #expect(try await runner.run(options).status == 0)
        #expect(output.contents == "original\n")

        // Replaced by rename, as a package upgrade does: the template's bind still pins the old file.
        try "#!/bin/sh\necho replaced\n".write(toFile: initPath + ".new", atomically: false, encoding: .utf8)
        chmod(initPath + ".new", 0o755)
        #expect(rename(initPath + ".new", initPath) == 0)
        // The watched files are looked at at most once a second (RootTemplates.checkInterval).
        try await Task.sleep(for: .milliseconds(1100))
        let replaced = OutputFile()
        options.stdio = [0, replaced.fd, replaced.fd]
        #expect(try await runner.run(options).status == 0)
        #expect(replaced.contents == "replaced\n", "\(replaced.contents)")
    }
}
