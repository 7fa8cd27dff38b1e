import Foundation
import Glibc
import Sandbox
import Testing

@Suite("Sandbox isolation, as root with real namespaces")
struct IsolationTests {
    @Test("only the sandbox's own processes are visible; PID 1 is paastech-init")
    func pidNamespace() async throws {
        let result = try await SandboxHarness.run("ls /proc | grep -cE '^[0-9]+$'; tr '\\0' ' ' < /proc/1/cmdline")
        #expect(result.status == 0, "\(result.output)")
        let lines = result.output.split(separator: "\n")
        // init, sh, ls, grep (and maybe tr): a handful, not the host's hundreds.
        #expect((Int(lines.first ?? "") ?? 99) <= 6, "\(result.output)")
        #expect(lines.last?.hasPrefix("/init /bin/sh -c") == true, "\(result.output)")
    }

    @Test("hostname, identity, capabilities and no_new_privs")
    func identity() async throws {
        let result = try await SandboxHarness.run("hostname; id -u; id -g; grep -E '^(CapEff|CapBnd|CapPrm|NoNewPrivs)' /proc/self/status")
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("test-instance\n61000\n61000\n"), "\(result.output)")
        for field in ["CapEff", "CapBnd", "CapPrm"] {
            #expect(result.output.contains("\(field):\t0000000000000000"), "\(field): \(result.output)")
        }
        #expect(result.output.contains("NoNewPrivs:\t1"))
    }

    @Test("/usr, /app and the root are read-only mounts; /tmp is private and writable")
    func readOnlyFilesystem() async throws {
        // EROFS, not EACCES: the app's uid could not write root's /usr anyway, so only the error says the
        // mount itself is read-only (the kernel checks it before permissions).
        let result = try await SandboxHarness.run("""
            for path in /usr/paastech-x /app/x /x /etc/x; do
                if touch $path 2>/tmp/error; then echo "WROTE $path"; else echo "$path: $(cat /tmp/error)"; fi
            done
            echo data > /tmp/x && cat /tmp/x
            """)
        #expect(!result.output.contains("WROTE"), "\(result.output)")
        for path in ["/usr/paastech-x", "/app/x", "/x", "/etc/x"] {
            let line = result.output.split(separator: "\n").first { $0.hasPrefix(path + ":") } ?? ""
            #expect(line.contains("Read-only file system"), "\(path): \(result.output)")
        }
        #expect(result.output.hasSuffix("data\n"), "\(result.output)")
    }

    @Test("the host's files outside the allowed paths are not visible")
    func hostFilesHidden() async throws {
        let secret = "/tmp/paastech-other-project-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: secret, withIntermediateDirectories: true)
        try "secret".write(toFile: secret + "/key", atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: secret) }
        let result = try await SandboxHarness.run("ls /; ls /tmp | wc -l; cat \(secret)/key 2>&1; ls /root /home /var 2>&1 | head -3")
        #expect(!result.output.contains("secret\n"), "\(result.output)")
        #expect(result.output.contains("No such file"), "\(result.output)")
        let entries = Set(result.output.split(separator: "\n").prefix(while: { !$0.allSatisfy(\.isNumber) }).map(String.init))
        #expect(entries.isSubset(of: ["app", "bin", "dev", "etc", "init", "lib", "lib32", "lib64", "libx32", "proc", "run", "sbin", "sys", "tmp", "usr"]),
                "\(entries)")
    }

    @Test("two projects' sandboxes, side by side, each see their own /app and /data and nothing of the other's")
    func projectsSeeOnlyTheirOwnFiles() async throws {
        let base = "/tmp/paastech-projects-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: base) }
        var sandboxes: [SandboxOptions] = []
        for (project, uid) in [("alpha", uid_t(61001)), ("beta", uid_t(61002))] {
            for kind in ["app", "data"] {
                let directory = "\(base)/\(project)/\(kind)"
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                try "\(project)-\(kind)-secret".write(toFile: directory + "/\(project)-\(kind).txt", atomically: true, encoding: .utf8)
                chown(directory, uid, uid)
            }
            let other = project == "alpha" ? "beta" : "alpha"
            // Its own files; the other project's by their host paths; any file of the other's anywhere in the root
            // (the host's /usr aside, bound as is); and the other's secrets through every process's root.
            var options = SandboxHarness.options("""
                cat /app/\(project)-app.txt /data/\(project)-data.txt; echo
                ls \(base)/\(other) 2>&1
                find / -path /proc -prune -o -path /sys -prune -o -path /usr -prune -o -name '\(other)-*' -print 2>/dev/null
                grep -rls '\(other)-' /proc/[0-9]*/root/app /proc/[0-9]*/root/data 2>/dev/null
                echo done
                """, uid: uid)
            options.hostname = project
            options.appDirectory = "\(base)/\(project)/app"
            options.dataDirectory = "\(base)/\(project)/data"
            sandboxes.append(options)
        }
        async let alpha = SandboxHarness.run(sandboxes[0])
        async let beta = SandboxHarness.run(sandboxes[1])
        for (project, result) in [("alpha", try await alpha), ("beta", try await beta)] {
            let other = project == "alpha" ? "beta" : "alpha"
            #expect(result.status == 0, "\(project): \(result.output)")
            let lines = result.output.split(separator: "\n").map(String.init)
            #expect(lines.first == "\(project)-app-secret\(project)-data-secret", "\(project): \(result.output)")
            #expect(lines.count == 3 && lines[1].contains("No such file or directory") && lines[2] == "done", "\(project): \(result.output)")
            #expect(!result.output.contains("\(other)-"), "\(project) saw \(other)'s files: \(result.output)")
        }
    }

    @Test("an app directory is mounted at /app, writable only when asked")
    func appDirectory() async throws {
        let app = "/tmp/paastech-app-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: app, withIntermediateDirectories: true)
        try "hello".write(toFile: app + "/index.txt", atomically: true, encoding: .utf8)
        chown(app, 61000, 61000)
        defer { try? FileManager.default.removeItem(atPath: app) }
        var options = SandboxHarness.options("cat /app/index.txt; touch /app/new 2>/dev/null && echo WROTE")
        options.appDirectory = app
        #expect(try await SandboxHarness.run(options).output == "hello")
        options.appWritable = true
        #expect(try await SandboxHarness.run(options).output == "helloWROTE\n")
    }

    @Test("/proc's sensitive files are masked and /proc/sys is read-only")
    func procMasked() async throws {
        let result = try await SandboxHarness.run("wc -c < /proc/kcore 2>&1; echo 1 > /proc/sys/kernel/hostname 2>/dev/null && echo WROTE; echo done")
        #expect(!result.output.contains("WROTE"), "\(result.output)")
        #expect(result.output.hasPrefix("0\n") || result.output.contains("No such file"), "\(result.output)")
    }

    @Test("no network but loopback")
    func loopbackOnly() async throws {
        let result = try await SandboxHarness.run("ls /sys/class/net 2>/dev/null; cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' '")
        #expect(result.output.split(separator: "\n").map(String.init) == ["lo"], "\(result.output)")
    }

    @Test("orphaned zombies are reaped by PID 1")
    func zombiesReaped() async throws {
        let result = try await SandboxHarness.run("( sleep 0.2 & ) ; sleep 0.6; grep -l '^State:.*Z' /proc/[0-9]*/status 2>/dev/null | wc -l")
        #expect(result.output.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "\(result.output)")
    }

    @Test("SIGTERM sent to the sandbox reaches the app, whose status becomes the sandbox's")
    func sigtermForwarded() async throws {
        let path = "/tmp/paastech-sigterm-\(UUID().uuidString.prefix(8))"
        let output = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        defer { close(output); unlink(path) }
        var options = SandboxHarness.options("trap 'echo got TERM; exit 3' TERM; echo ready; while :; do sleep 0.05; done")
        options.stdio = [0, output, output]
        let process = try await SandboxHarness.runner.start(options)
        var ready = false
        for _ in 0..<100 where !ready {
            try await Task.sleep(for: .milliseconds(20))
            ready = ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").contains("ready")
        }
        #expect(ready)
        kill(process.pid, SIGTERM)
        let exit = await process.waitForExit()
        #expect(exit.status == 3)
        #expect(((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").contains("got TERM"))
    }

    @Test("failures are typed: the stage and the mount operation are named")
    func spawnErrors() async throws {
        await #expect(throws: SandboxError.self) {
            _ = try await SandboxHarness.run(SandboxOptions(command: ["no-such-program"], hostname: "x", uid: 61000, gid: 61000))
        }
        // A missing app directory fails the bind mount in the child, which reports the stage.
        var options = SandboxHarness.options("true")
        options.appDirectory = "/nonexistent/app"
        do {
            _ = try await SandboxHarness.run(options)
            Issue.record("expected a SpawnError")
        } catch let error as SpawnError {
            #expect(error.stage == .operation)
            #expect(error.errno == ENOENT)
            #expect(error.operation?.target == "/app", "\(error)")
            #expect(error.description.contains("stage operation"))
        }
        // A program missing inside the sandbox: paastech-init says so and exits 127.
        let missing = try await SandboxHarness.run(SandboxOptions(command: ["/app/missing"], hostname: "x", uid: 61000, gid: 61000))
        #expect(missing.status == 127)
        #expect(missing.output.contains("cannot run /app/missing"), "\(missing.output)")
    }
}
