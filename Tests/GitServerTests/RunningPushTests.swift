import Foundation
import Glibc
import Testing

@Suite("Running pushes: streamed hook output, the session time limit, graceful shutdown")
struct RunningPushTests {
    /// Installs `hooks/pre-receive` in the site repository (the platform's pipeline runs as a hook too).
    private func installHook(_ script: String, in harness: GitServerHarness) throws {
        let path = harness.siteRepository + "/hooks/pre-receive"
        try Data(script.utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o755)
    }

    @Test("hook output reaches the client while the hook still runs; the hook sees who pushed which project")
    func outputStreams() async throws {
        try await GitServerHarness.run { harness in
            let release = harness.directory + "/release-hook"
            try installHook("""
                #!/bin/sh
                echo "hello $PAASTECH_USER, project $PAASTECH_PROJECT_ID, protocol ${GIT_PROTOCOL:-none}, config $PAASTECH_CONFIG"
                echo "-----> waiting"
                while [ ! -e \(release) ]; do sleep 0.05; done
                echo "-----> done"
                """, in: harness)
            let (work, commit) = try await harness.makeWorkTree("stream", files: ["app.js": Data("console.log(1)\n".utf8)])
            var environment = GitServerHarness.environment(home: harness.directory)
            environment["GIT_SSH_COMMAND"] = (["ssh"] + harness.sshArguments(key: harness.alice.privateKey)).joined(separator: " ")
            // Protocol v1 makes git send GIT_PROTOCOL (a v0 push sends no environment at all).
            let push = try RunningCommand("/usr/bin/git", ["-c", "protocol.version=1", "push", harness.remote("alice/site.git"), "main"],
                                          environment: environment, directory: work, timeout: .seconds(30))

            // The hook waits for us: its first lines must arrive before it may finish.
            let deadline = ContinuousClock.now + .seconds(15)
            while !push.stderrSoFar.contains("remote: -----> waiting"), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            let early = push.stderrSoFar
            _ = FileManager.default.createFile(atPath: release, contents: nil)
            let result = try await push.wait()

            #expect(early.contains("remote: -----> waiting"), "\(early)")
            #expect(!early.contains("remote: -----> done"), "\(early)")
            #expect(result.status == 0, "\(result)")
            #expect(result.stderr.contains("remote: -----> done"), "\(result)")
            let projectID = URL(fileURLWithPath: harness.siteRepository).deletingPathExtension().lastPathComponent
            #expect(result.stderr.contains("remote: hello alice, project \(projectID), protocol version=1, config \(harness.directory)/paastech.toml"), "\(result)")
            #expect(try await harness.mainOfSite() == commit)
        }
    }

    @Test("a push that outlasts max_session_seconds is stopped and changes nothing")
    func sessionTimeLimit() async throws {
        // 12 s: under a loaded CI machine the SSH handshake and the pack alone have taken over 5 s, and the
        // hook must have started (and printed) before the limit strikes.
        try await GitServerHarness.run({ $0.git.maxSessionSeconds = 12 }) { harness in
            try installHook("#!/bin/sh\necho '-----> building'\nsleep 60\n", in: harness)
            let (work, _) = try await harness.makeWorkTree("slow", files: ["main.go": Data("package main\n".utf8)])
            let started = ContinuousClock.now
            let result = try await harness.git(["push", harness.remote("alice/site.git"), "main"], key: harness.alice.privateKey, in: work)
            #expect(result.status != 0, "\(result)")
            #expect(ContinuousClock.now - started < .seconds(45), "\(result)")
            #expect(result.stderr.contains("remote: -----> building"), "\(result)")
            #expect(result.messages.contains("paastech: connection closed: it lasted longer than the limit of 12 seconds"), "\(result)")
            #expect(try await harness.siteRefs().isEmpty)
        }
    }

    @Test("graceful shutdown stops accepting but lets a running push finish")
    func shutdownWaitsForPush() async throws {
        try await GitServerHarness.run { harness in
            let release = harness.directory + "/release-hook"
            try installHook("#!/bin/sh\necho '-----> deploying'\nwhile [ ! -e \(release) ]; do sleep 0.05; done\necho '-----> live'\n", in: harness)
            let (work, commit) = try await harness.makeWorkTree("shutdown", files: ["Procfile": Data("web: ./run\n".utf8)])
            var environment = GitServerHarness.environment(home: harness.directory)
            environment["GIT_SSH_COMMAND"] = (["ssh"] + harness.sshArguments(key: harness.alice.privateKey)).joined(separator: " ")
            let push = try RunningCommand("/usr/bin/git", ["push", harness.remote("alice/site.git"), "main"],
                                          environment: environment, directory: work, timeout: .seconds(30))
            let deadline = ContinuousClock.now + .seconds(15)
            while !push.stderrSoFar.contains("remote: -----> deploying"), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            await harness.stop()
            // New connections are no longer accepted...
            var refused = try await harness.ssh(key: harness.alice.privateKey, command: ["ls"], timeout: .seconds(10))
            for _ in 0..<20 where refused.stderr.contains("not allowed") {
                try await Task.sleep(for: .milliseconds(100))
                refused = try await harness.ssh(key: harness.alice.privateKey, command: ["ls"], timeout: .seconds(10))
            }
            #expect(refused.status == 255, "\(refused)")
            // ...while the running push completes.
            _ = FileManager.default.createFile(atPath: release, contents: nil)
            let result = try await push.wait()
            #expect(result.status == 0, "\(result)")
            #expect(result.stderr.contains("remote: -----> live"), "\(result)")
            #expect(try await harness.mainOfSite() == commit)
        }
    }

    @Test("when the pusher's connection drops, the running hook still finishes and the push lands")
    func clientDisconnectsDuringHook() async throws {
        try await GitServerHarness.run { harness in
            let release = harness.directory + "/release-hook"
            try installHook("#!/bin/sh\necho '-----> building'\nwhile [ ! -e \(release) ]; do sleep 0.05; done\necho '-----> live'\n", in: harness)
            let (work, commit) = try await harness.makeWorkTree("dropped", files: ["go.mod": Data("module x\n".utf8)])
            var environment = GitServerHarness.environment(home: harness.directory)
            environment["GIT_SSH_COMMAND"] = (["ssh"] + harness.sshArguments(key: harness.alice.privateKey)).joined(separator: " ")
            let push = try RunningCommand("/usr/bin/git", ["push", harness.remote("alice/site.git"), "main"],
                                          environment: environment, directory: work, timeout: .seconds(30))
            let deadline = ContinuousClock.now + .seconds(15)
            while !push.stderrSoFar.contains("remote: -----> building"), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            // The connection drops: kill the ssh that git started (git may run it through `sh -c`).
            let ssh = try #require(descendant(of: push.processIdentifier, named: "ssh"), "git has no ssh process")
            let killed = ContinuousClock.now
            kill(ssh, SIGKILL)
            let result = try await push.wait()
            #expect(result.status != 0, "\(result)")
            #expect(ContinuousClock.now - killed < .seconds(10), "git did not notice the dropped connection")
            #expect(try await harness.siteRefs().isEmpty)

            _ = FileManager.default.createFile(atPath: release, contents: nil)
            var landed = ""
            for _ in 0..<100 where landed != commit {
                try await Task.sleep(for: .milliseconds(100))
                landed = (try? await harness.mainOfSite()) ?? ""
            }
            #expect(landed == commit)
        }
    }

    /// The first process named `name` among the descendants of `pid` (from /proc), breadth first.
    private func descendant(of pid: pid_t, named name: String) -> pid_t? {
        var queue = [pid]
        while !queue.isEmpty {
            let parent = queue.removeFirst()
            let children = (try? String(contentsOfFile: "/proc/\(parent)/task/\(parent)/children", encoding: .utf8)) ?? ""
            for child in children.split(separator: " ").compactMap({ pid_t($0) }) {
                let command = (try? String(contentsOfFile: "/proc/\(child)/comm", encoding: .utf8)) ?? ""
                if command.trimmingCharacters(in: .whitespacesAndNewlines) == name { return child }
                queue.append(child)
            }
        }
        return nil
    }
}
