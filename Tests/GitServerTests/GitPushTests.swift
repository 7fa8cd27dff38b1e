import Foundation
import Glibc
import Testing

@Suite("git push over SSH with the real OpenSSH client and git")
struct GitPushTests {
    static let onlyPush = "this server only accepts git push"

    @Test("the owner's push lands in the bare repository, whatever the spelling of the remote")
    func ownerPushes() async throws {
        try await GitServerHarness.run { harness in
            let alice = harness.alice.privateKey
            let (work, first) = try await harness.makeWorkTree("alice", files: ["README": Data("hello\n".utf8)])
            let push = try await harness.git(["push", harness.remote("alice/site.git"), "main"], key: alice, in: work)
            #expect(push.status == 0, "\(push)")
            #expect(!push.stderr.contains("closed by remote host"), "\(push)")
            #expect(try await harness.mainOfSite() == first)

            // scp-style (no leading slash) and without `.git`, then a leading slash without `.git`.
            for (index, remote) in ["git@127.0.0.1:alice/site", harness.remote("alice/site")].enumerated() {
                let commit = try await harness.commit(in: work, file: "change-\(index)")
                let result = try await harness.git(["push", remote, "main"], key: alice, in: work)
                #expect(result.status == 0, "\(remote): \(result)")
                #expect(try await harness.mainOfSite() == commit, "\(remote)")
            }

            // receive-pack's own streams and status reach the client: the ref advertisement on stdout, then
            // (stdin is empty) its complaint on stderr and its exit status 128.
            let direct = try await harness.ssh(key: alice, command: ["git-receive-pack 'alice/site.git'"])
            #expect(direct.stdout.contains("refs/heads/main"), "\(direct)")
            #expect(direct.stdout.contains("report-status"), "\(direct)")
            #expect(direct.messages == ["fatal: the remote end hung up unexpectedly"], "\(direct)")
            #expect(direct.status == 128, "\(direct)")
        }
    }

    @Test("commands other than a push to one's own repository are refused with one line and exit status 1")
    func refusedCommands() async throws {
        try await GitServerHarness.run { harness in
            let alice = harness.alice.privateKey
            let (work, _) = try await harness.makeWorkTree("refused", files: ["app.py": Data("print(1)\n".utf8)])
            let before = try await harness.siteRefs()

            // Over plain ssh, stderr holds exactly the one line: no "closed by remote host", nothing else.
            let cases: [(options: [String], command: [String], line: String)] = [
                (["-T"], [], "paastech: interactive shells are not available; \(Self.onlyPush)"),
                ([], ["ls"], "paastech: command 'ls' is not allowed; \(Self.onlyPush)"),
                ([], ["git-upload-pack 'alice/site.git'"], "paastech: git-upload-pack is not available (cloning and fetching are not offered); \(Self.onlyPush)"),
                ([], ["git-receive-pack '../alice/site.git'"], "paastech: invalid repository path '../alice/site.git'; push to <user>/<project>.git"),
                ([], ["git-receive-pack 'alice/../bob/site.git'"], "paastech: invalid repository path 'alice/../bob/site.git'; push to <user>/<project>.git"),
                ([], ["git-receive-pack '/srv/alice/site.git'"], "paastech: invalid repository path '/srv/alice/site.git'; push to <user>/<project>.git"),
                (["-s"], ["sftp"], "paastech: subsystem 'sftp' is not available; \(Self.onlyPush)"),
                ([], ["git-receive-pack 'alice/empty.git'"], "paastech: project has no repository"),
            ]
            for (options, command, line) in cases {
                let result = try await harness.ssh(key: alice, options, command: command)
                #expect(result.status == 1, "\(command): \(result)")
                #expect(result.messages == [line], "\(command): \(result)")
                #expect(result.stdout.isEmpty, "\(command): \(result)")
            }

            // No terminal either: with one forced (-tt), OpenSSH gives up when the pty is refused.
            let terminal = try await harness.ssh(key: alice, ["-tt"])
            #expect(terminal.status == 255, "\(terminal)")
            #expect(terminal.stderr.contains("PTY allocation request failed"), "\(terminal)")

            // Through git: the line reaches the pusher's terminal on stderr (on stdout git would report a
            // protocol error instead).
            let gitCases: [(arguments: [String], key: String, sshOptions: [String], line: String)] = [
                (["push", harness.remote("alice/site.git"), "main"], harness.bob.privateKey, [],
                 "paastech: repository 'alice/site.git' does not exist or you may not push to it"),
                (["push", harness.remote("alice/nope.git"), "main"], alice, [],
                 "paastech: repository 'alice/nope.git' does not exist or you may not push to it"),
                (["push", harness.remote("bob/site.git"), "main"], alice, [],
                 "paastech: repository 'bob/site.git' does not exist or you may not push to it"),
                (["push", harness.remote("alice/../alice/site.git"), "main"], alice, [],
                 "paastech: invalid repository path '/alice/../alice/site.git'; push to <user>/<project>.git"),
                (["push", harness.remote("alice/site.git"), "main"], alice, ["-o", "SetEnv=FOO=bar"],
                 "paastech: environment variable 'FOO' is not accepted (only GIT_PROTOCOL)"),
                (["clone", harness.remote("alice/site.git"), harness.directory + "/clone"], alice, [],
                 "paastech: git-upload-pack is not available (cloning and fetching are not offered); \(Self.onlyPush)"),
                (["ls-remote", harness.remote("alice/site.git")], alice, [],
                 "paastech: git-upload-pack is not available (cloning and fetching are not offered); \(Self.onlyPush)"),
            ]
            for (arguments, key, sshOptions, line) in gitCases {
                let result = try await harness.git(arguments, key: key, sshOptions: sshOptions, in: work)
                #expect(result.status != 0, "\(arguments): \(result)")
                #expect(result.messages.filter { $0.hasPrefix("paastech:") } == [line], "\(arguments): \(result)")
                #expect(!result.stderr.contains("protocol error"), "\(arguments): \(result)")
            }
            #expect(try await harness.siteRefs() == before)
            #expect(!FileManager.default.fileExists(atPath: harness.directory + "/clone/.git/HEAD"))
        }
    }

    @Test("agent and X11 forwarding requests make the command fail with one line")
    func refusedAgentAndX11Forwarding() async throws {
        try await GitServerHarness.run { harness in
            // OpenSSH asks for agent forwarding only when it has an agent to forward.
            let agentSocket = harness.directory + "/agent.sock"
            let agent = try RunningCommand("/usr/bin/ssh-agent", ["-D", "-a", agentSocket],
                                           environment: GitServerHarness.environment(home: harness.directory), timeout: .seconds(60))
            // SIGKILL: the test process may hand its children a blocked SIGTERM.
            defer { kill(agent.processIdentifier, SIGKILL) }
            for _ in 0..<50 where !FileManager.default.fileExists(atPath: agentSocket) {
                try await Task.sleep(for: .milliseconds(50))
            }
            var environment = GitServerHarness.environment(home: harness.directory)
            environment["SSH_AUTH_SOCK"] = agentSocket
            let command = ["git@127.0.0.1", "git-receive-pack 'alice/site.git'"]
            let forwarded = try await CommandRunner.run(
                "/usr/bin/ssh", harness.sshArguments(key: harness.alice.privateKey, ["-A"]) + command, environment: environment)
            #expect(forwarded.status == 1, "\(forwarded)")
            #expect(forwarded.messages == ["paastech: agent forwarding is not available; \(Self.onlyPush)"], "\(forwarded)")

            // Without xauth OpenSSH still asks, with made-up credentials (and says so).
            environment["SSH_AUTH_SOCK"] = nil
            environment["DISPLAY"] = "127.0.0.1:0"
            let x11 = try await CommandRunner.run(
                "/usr/bin/ssh", harness.sshArguments(key: harness.alice.privateKey, ["-X"]) + command, environment: environment)
            #expect(x11.status == 1, "\(x11)")
            #expect(x11.messages.filter { $0.hasPrefix("paastech:") } == ["paastech: X11 forwarding is not available; \(Self.onlyPush)"], "\(x11)")
            #expect(x11.stdout.isEmpty, "\(x11)")
            kill(agent.processIdentifier, SIGKILL)
            _ = try await agent.wait()
        }
    }

    @Test("only registered public keys authenticate: unknown keys and passwords are refused")
    func refusedAuthentication() async throws {
        try await GitServerHarness.run { harness in
            let (work, _) = try await harness.makeWorkTree("auth", files: ["index.html": Data("<p>hi</p>\n".utf8)])
            let before = try await harness.siteRefs()

            let stranger = try await harness.git(["push", harness.remote("alice/site.git"), "main"], key: harness.strangerKey, in: work)
            #expect(stranger.status != 0, "\(stranger)")
            #expect(stranger.stderr.contains("Permission denied (publickey)"), "\(stranger)")

            for method in ["password", "keyboard-interactive"] {
                let result = try await harness.ssh(
                    key: harness.alice.privateKey, ["-o", "PreferredAuthentications=\(method)", "-o", "PubkeyAuthentication=no"],
                    command: ["git-receive-pack 'alice/site.git'"])
                #expect(result.status == 255, "\(method): \(result)")
                #expect(result.stderr.contains("Permission denied (publickey)"), "\(method): \(result)")
            }
            #expect(try await harness.siteRefs() == before)
        }
    }

    @Test("port forwarding is refused: -L ends the connection when used, -R at once")
    func refusedForwarding() async throws {
        try await GitServerHarness.run { harness in
            let alice = harness.alice.privateKey
            let remote = try await harness.ssh(key: alice, ["-N", "-R", "0:127.0.0.1:9"], timeout: .seconds(20))
            #expect(remote.status == 255, "\(remote)")
            #expect(!remote.timedOut)
            #expect(remote.stderr.contains("paastech: port forwarding is not available"), "\(remote)")

            let localPort = try TestSockets.freeLocalPort()
            async let local = harness.ssh(key: alice, ["-N", "-L", "127.0.0.1:\(localPort):127.0.0.1:9"], timeout: .seconds(20))
            // Once ssh listens (after authentication), a connection makes it ask for a direct-tcpip channel.
            let forwarded = try await TestSockets.connectAndRead(port: localPort, within: .seconds(10))
            #expect(forwarded.isEmpty, "data came through the forward")
            let result = try await local
            #expect(result.status == 255, "\(result)")
            #expect(!result.timedOut, "\(result)")
            #expect(result.stderr.contains("paastech: port forwarding is not available"), "\(result)")
        }
    }

    @Test("a push larger than max_push_mib fails and changes nothing")
    func pushTooLarge() async throws {
        try await GitServerHarness.run { harness in
            var random = SystemRandomNumberGenerator()
            let noise = Data((0..<(2 * 1024 * 1024 / 8)).flatMap { _ in withUnsafeBytes(of: random.next()) { Array($0) } })
            let (work, _) = try await harness.makeWorkTree("large", files: ["noise.bin": noise])
            let result = try await harness.git(["push", harness.remote("alice/site.git"), "main"], key: harness.alice.privateKey, in: work)
            #expect(result.status != 0, "\(result)")
            #expect(result.messages.contains("paastech: push refused: it sends more than the limit of 1 MiB"), "\(result)")
            #expect(try await harness.siteRefs().isEmpty)
        }
    }
}

extension GitServerHarness {
    /// The commit `main` points to in the site repository.
    func mainOfSite() async throws -> String {
        try await Self.git(["--git-dir", siteRepository, "rev-parse", "main"], home: directory)
    }

    /// Adds a file and commits it; returns the commit.
    func commit(in work: String, file: String) async throws -> String {
        try Data(file.utf8).write(to: URL(fileURLWithPath: work + "/" + file))
        try await Self.git(["add", file], home: directory, in: work)
        try await Self.git(["commit", "--quiet", "-m", file], home: directory, in: work)
        return try await Self.git(["rev-parse", "HEAD"], home: directory, in: work)
    }
}
