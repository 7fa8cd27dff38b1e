import Foundation
import Glibc
import Systemd
import Testing

/// `git push` to a running app through `paastech dev`, with the real OpenSSH client and real git: the API,
/// the repo manager, gitd, the pre-receive pipeline and Pomegranate's sandboxes, all as separate processes.
@Suite("git push to running app, through paastech dev", .serialized, .enabled(if: geteuid() == 0, "sandboxes need root"))
struct GitPushEndToEndTests {
    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("examples")

    @Test("push, zero-downtime redeploy, a failing health check keeps the old release, a monorepo, a WebSocket across a redeploy")
    func pushToRunningApp() async throws {
        let state = try temporaryDirectory("push")
        guard let dev = try await DevPlatformRun.start(stateDirectory: state, apiPort: try freePort(), sshPort: try freePort(),
                                                     sandboxName: "ptdevpush", sandboxSubnet: "10.95.0.0/16") else { return }
        do {
            try await story(dev, directory: state)
        } catch {
            _ = await dev.stop()
            throw error
        }
        #expect(await dev.stop() == 0, "\(dev.process.log.suffix(3000))")
    }

    func story(_ dev: DevPlatformRun, directory state: URL) async throws {
        let user = try await PushingUser.signUp("alice", on: dev, directory: state)

        // A project, its repository, and the first push of the Python stdlib example.
        let project = try await user.api(.post, "/v1/projects", ["name": "hello"])
        #expect(project.status == 201, "\(project.body)")
        let work = try user.workTree(copying: "python-hello", named: "hello")
        let first = try await user.push(work, project: "hello")
        #expect(first.status == 0, "\(first.output)\n\(dev.process.log.suffix(3000))")
        for stage in ["-----> Receiving main", "-----> Detected web", "-----> Released web v1", "-----> Deploying web v1",
                      "-----> Health check", "-----> Switching web to v1"] {
            #expect(first.output.contains(stage), "\(stage) missing:\n\(first.output)")
        }
        #expect(first.stageLines.last == "-----> Live at http://web.hello.apps.localhost:\(dev.httpPort)", "\(first.output)")
        let address = try #require(first.instanceAddresses.first, "\(first.output)")
        #expect(address.hasPrefix("10.95."))
        // The instance's own address (on the sandboxes' bridge, reachable from the host) answers with the app's body.
        let direct = try await run("/usr/bin/curl", ["-sS", "-m", "5", "http://\(address)/"])
        #expect(direct.0 == 0 && direct.1 == "hello from python\n", "\(direct)")
        // Through the edge, as a user opens it: by name on HTTP, on HTTPS with HTTP/2 and the dev CA, and at
        // <project>.apps.localhost since the project has one deployment (an alias the edge reads from the API).
        #expect(try await eventually(timeout: .seconds(10)) { edgeGet(dev, "web.hello.apps.localhost").body == "hello from python\n" })
        let https = try await run("/usr/bin/curl", ["-sS", "--cacert", dev.summary.localCA, "-w", "%{http_code} HTTP/%{http_version}",
                                                    "--resolve", "web.hello.apps.localhost:\(dev.httpsPort):127.0.0.1",
                                                    "https://web.hello.apps.localhost:\(dev.httpsPort)/"])
        #expect(https.0 == 0 && https.1 == "hello from python\n200 HTTP/2", "\(https)")
        #expect(try await eventually(timeout: .seconds(15)) { edgeGet(dev, "hello.apps.localhost").body == "hello from python\n" })
        #expect(edgeGet(dev, "nothing.apps.localhost").status == 404)

        // A second release while a client polls the app through the edge every 20 ms: nothing fails.
        let poller = try RoutePoller(host: "web.hello.apps.localhost", via: dev.edgeAddress)
        try await Task.sleep(for: .milliseconds(200))
        try user.edit(work, "app.py") { $0.replacingOccurrences(of: "hello from python", with: "hello again") }
        let second = try await user.push(work, project: "hello")
        #expect(second.status == 0, "\(second.output)")
        #expect(second.output.contains("-----> Retiring 1 instance(s) of the previous release once their open connections end"), "\(second.output)")
        try await Task.sleep(for: .milliseconds(500))
        let tally = await poller.stop()
        #expect(tally.failed.isEmpty, "\(tally.failed.count) failed requests: \(tally.failed.prefix(5))")
        #expect(tally.bodies == ["hello from python\n", "hello again\n"], "\(tally.bodies)")
        #expect(tally.succeeded > 10)
        let newAddress = try #require(second.instanceAddresses.first)
        #expect(RoutePoller.get(newAddress, host: "web.hello.apps.localhost").body == "hello again\n")
        // Nothing is open to it once the poller stops (the edge closed its idle connections to it at the switch).
        #expect(try await eventually(timeout: .seconds(10)) { RoutePoller.get(address, host: "web.hello.apps.localhost").status == 0 },
                "the old instance is still there")

        // An app that fails its health check: the push is rejected and the previous release keeps serving.
        let unhealthy = try user.workTree(copying: "unhealthy", named: "hello", replacing: work)
        let failed = try await user.push(unhealthy, project: "hello")
        #expect(failed.status != 0, "\(failed.output)")
        #expect(failed.output.contains("failed its health check"), "\(failed.output)")
        #expect(failed.output.contains("pre-receive hook declined"), "\(failed.output)")
        #expect(RoutePoller.get(newAddress, host: "web.hello.apps.localhost").body == "hello again\n")
        #expect(edgeGet(dev, "web.hello.apps.localhost").body == "hello again\n")
        let statuses = try await user.releases(try await user.deploymentUUID(project: "hello", name: "web")).compactMap { $0["status"] as? String }
        #expect(statuses.sorted() == ["failed", "live", "superseded"], "\(statuses)")

        // A configuration change redeploys the serving build with zero downtime; the app sees the variable.
        let web = try await user.deploymentUUID(project: "hello", name: "web")
        let changed = try await user.api(.patch, "/v1/deployments/\(web)", ["env": ["GREETING": "hi from config"]], seconds: 120)
        #expect(changed.status == 200, "\(changed.body)")
        let changedLines = json(changed.body)["output"] as? [String] ?? []
        #expect(changedLines.contains { $0.contains("Released web v4: configuration change (the build of v2)") }, "\(changedLines)")
        let configured = try #require(PushingUser.PushResult.addresses(in: changedLines).first, "\(changedLines)")
        #expect(RoutePoller.get(configured, host: "web.hello.apps.localhost").body == "hi from config\n")
        #expect(edgeGet(dev, "web.hello.apps.localhost").body == "hi from config\n")

        // Rolling back to v1 with the CLI brings back v1's code and configuration, without a build.
        let rollback = try await ProgramRun(try Binary.path(), ["rollback", "--api", dev.summary.apiURL, "hello/web", "v1"],
                                            environment: ["PAASTECH_TOKEN": user.token, "PATH": "/usr/bin:/bin"]).run()
        #expect(rollback.exitCode == 0, "\(rollback)")
        #expect(rollback.stdoutText.contains("-----> Released web v5: rollback to v1 (the build of v1)"), "\(rollback)")
        let rolledBack = try #require(PushingUser.PushResult.addresses(in: rollback.stdoutText.split(separator: "\n").map(String.init)).first)
        #expect(RoutePoller.get(rolledBack, host: "web.hello.apps.localhost").body == "hello from python\n")
        #expect(edgeGet(dev, "web.hello.apps.localhost").body == "hello from python\n")
        #expect(try await eventually(timeout: .seconds(10)) { RoutePoller.get(configured, host: "web.hello.apps.localhost").status == 0 },
                "v4 still running")
        let deploymentBody = json(try await user.api(.get, "/v1/deployments/\(web)").body)
        #expect((deploymentBody["config"] as? [String: Any])?["env"] as? [String: String] == [:], "v1's configuration is back")
        // Only a release that went live can come back.
        let failedID = try #require(try await user.releases(web).first { $0["status"] as? String == "failed" }?["id"] as? Int)
        #expect(try await user.api(.post, "/v1/deployments/\(web)/rollback", ["release_id": failedID]).status == 409)

        // A monorepo: two web deployments and a worker from paastech.toml.
        _ = try await user.api(.post, "/v1/projects", ["name": "mono"])
        let mono = try user.workTree(copying: "monorepo", named: "mono")
        let pushed = try await user.push(mono, project: "mono")
        #expect(pushed.status == 0, "\(pushed.output)")
        let deployments = try await user.api(.get, "/v1/projects/\(try user.projectUUID("mono"))/deployments")
        let names = (json(deployments.body)["items"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(names.sorted() == ["api", "jobs", "site"], "\(deployments.body)")
        #expect(pushed.stageLines.filter { $0.hasPrefix("-----> Live at") }.count == 2, "\(pushed.output)")
        #expect(edgeGet(dev, "site.mono.apps.localhost").status == 200)
        #expect(edgeGet(dev, "api.mono.apps.localhost").status == 200)
        #expect(edgeGet(dev, "mono.apps.localhost").status == 404, "no alias for a project of several deployments")

        // A build: a virtualenv and pip install from PyPI in a sandbox with egress, its output streamed. PyPI is
        // outside this machine: without it the step is skipped, and says so.
        let pypi = try await curl(["-I", "--max-time", "5", "https://pypi.org/simple/six/"]).0
        if pypi != 200 { print("PyPI unreachable (\(pypi)): the pip build step of the end-to-end test is skipped") }
        var projects = ["hello", "mono"]

        // A WebSocket kept open through the edge across a redeploy: it goes on talking to the old release, which
        // drains (keeps running while it is open), while a new connection reaches the new release; the old
        // instance stops once the socket closes.
        projects.append("chat")
        _ = try await user.api(.post, "/v1/projects", ["name": "chat"])
        let chat = try user.workTree(copying: "websocket-echo", named: "chat")
        let chatV1 = try await user.push(chat, project: "chat")
        #expect(chatV1.status == 0, "\(chatV1.output)")
        let chatV1Address = try #require(chatV1.instanceAddresses.first, "\(chatV1.output)")
        #expect(try await eventually(timeout: .seconds(10)) { edgeGet(dev, "web.chat.apps.localhost").body == "echo v1\n" })
        let signals = state.appendingPathComponent("ws-\(UUID().uuidString.prefix(6))").path
        try FileManager.default.createDirectory(atPath: signals, withIntermediateDirectories: true)
        let client = Task { try await webSocketAcrossRedeploy(edge: dev.edgeAddress, host: "web.chat.apps.localhost", signals: signals) }
        #expect(try await eventually(timeout: .seconds(30)) { FileManager.default.fileExists(atPath: signals + "/connected") })
        try user.edit(chat, "app.py") { $0.replacingOccurrences(of: "\"echo v1\"", with: "\"echo v2\"") }
        let chatV2 = try await user.push(chat, project: "chat")
        #expect(chatV2.status == 0, "\(chatV2.output)")
        #expect(chatV2.output.contains("-----> Retiring 1 instance(s) of the previous release once their open connections end"), "\(chatV2.output)")
        try await Task.sleep(for: .seconds(2))  // past the drain delay: only the open socket keeps the old instance
        // Any answer will do (this HTTP/1.0 probe gets a 400 from the websockets library): the instance runs.
        #expect(RoutePoller.get(chatV1Address, host: "web.chat.apps.localhost").status != 0, "the old instance stopped under an open WebSocket")
        FileManager.default.createFile(atPath: signals + "/switched", contents: nil)
        let talked = try await client.value
        #expect(talked.exitCode == 0 && talked.stdoutText == "echo v1: one\necho v1: two\necho v2: three\n", "\(talked)")
        #expect(try await eventually(timeout: .seconds(10)) { RoutePoller.get(chatV1Address, host: "web.chat.apps.localhost").status == 0 },
                "the old instance still runs after its last connection closed")
        if pypi == 200 {
            projects.append("deps")
            _ = try await user.api(.post, "/v1/projects", ["name": "deps"])
            let deps = try user.workTree(copying: "python-requests", named: "deps")
            let built = try await user.push(deps, project: "deps")
            #expect(built.status == 0, "\(built.output)")
            #expect(built.output.contains("-----> Building web (python) as v1"), "\(built.output)")
            #expect(built.remoteLines.contains { $0.contains("Successfully installed six-1.16.0") }, "\(built.output)")
            let depsWeb = try await user.deploymentUUID(project: "deps", name: "web").lowercased()
            let buildLog = try String(contentsOfFile: state.appendingPathComponent("var/releases/\(depsWeb)/v1.build.log").path, encoding: .utf8)
            #expect(buildLog.contains("Successfully installed six-1.16.0"), "the build's output is kept with the release")
            let depsAddress = try #require(built.instanceAddresses.first, "\(built.output)")
            #expect(RoutePoller.get(depsAddress, host: "web.deps.apps.localhost").body == "six 1.16.0 from PyPI\n")
        }

        // A sleeping app (scale to zero): paastech.toml's sleep_after stops it after 2 s without requests; the
        // next request through the edge waits while it starts and is answered. max_body caps request bodies.
        projects.append("sleepy")
        _ = try await user.api(.post, "/v1/projects", ["name": "sleepy"])
        let sleepy = try user.workTree(copying: "python-hello", named: "sleepy")
        try "[deployments.web]\nsleep_after = \"2s\"\nmax_body = \"1K\"\n".write(toFile: sleepy + "/paastech.toml", atomically: true, encoding: .utf8)
        try user.git(["add", "paastech.toml"], in: sleepy)
        try user.git(["commit", "--quiet", "-m", "sleep when idle"], in: sleepy)
        let sleeper = try await user.push(sleepy, project: "sleepy")
        #expect(sleeper.status == 0 && sleeper.output.contains("sleeps after 2 s without requests"), "\(sleeper.output)")
        let awake = try #require(sleeper.instanceAddresses.first, "\(sleeper.output)")
        #expect(try await eventually(timeout: .seconds(10)) { edgeGet(dev, "web.sleepy.apps.localhost").body == "hello from python\n" })
        let large = try await curl(["--data-binary", String(repeating: "x", count: 2048), "-H", "Host: web.sleepy.apps.localhost",
                                    "http://\(dev.edgeAddress)/"])
        #expect(large.0 == 413, "a 2 KiB body against max_body 1K: \(large)")
        #expect(try await eventually(timeout: .seconds(15)) { RoutePoller.get(awake, host: "web.sleepy.apps.localhost").status == 0 },
                "the idle app did not go to sleep")
        let wakeStart = ContinuousClock.now
        let woken = try await curl(["-H", "Host: web.sleepy.apps.localhost", "http://\(dev.edgeAddress)/"])
        let firstRequest = ContinuousClock.now - wakeStart
        #expect(woken.0 == 200 && woken.1 == "hello from python\n", "the request that wakes the app: \(woken)")
        print("sleeping app: the first request after sleep was answered in \(firstRequest)")
        #expect(edgeGet(dev, "web.sleepy.apps.localhost").status == 200)

        // Deleting the projects stops their apps and deletes their repositories.
        let repositories = state.appendingPathComponent("var/repos").path
        #expect(try FileManager.default.contentsOfDirectory(atPath: repositories).count == projects.count)
        for name in projects {
            let deleted = try await user.api(.delete, "/v1/projects/\(try await user.projectUUID(name))")
            #expect(deleted.status == 204, "\(deleted.body)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: repositories).isEmpty)
        #expect(RoutePoller.get(newAddress, host: "web.hello.apps.localhost").status == 0, "the app is stopped")
        #expect(try await eventually(timeout: .seconds(10)) { edgeGet(dev, "web.hello.apps.localhost").status == 404 })
    }

    /// GET / for `host` through the dev platform's edge.
    func edgeGet(_ dev: DevPlatformRun, _ host: String) -> (status: Int, body: String) {
        RoutePoller.get(dev.edgeAddress, host: host)
    }
}

/// A user of the dev platform: signed up and verified through the mail file, with an SSH key of its own.
struct PushingUser {
    let name: String
    let token: String
    let keyPath: String
    let directory: URL
    let dev: DevPlatformRun

    struct Reply {
        let status: Int
        let body: String
    }

    struct PushResult {
        let status: Int32
        let output: String
        /// The pipeline's `-----> ` lines, without git's `remote: ` prefix and padding.
        var stageLines: [String] { remoteLines.filter { $0.hasPrefix("----->") } }
        /// `ip:port` from the deploy stage's `<instance> at <address>` lines.
        var instanceAddresses: [String] { Self.addresses(in: remoteLines) }

        static func addresses(in lines: [String]) -> [String] {
            lines.compactMap { line in
                guard let at = line.range(of: " at 10.") else { return nil }
                return String(line[line.index(at.lowerBound, offsetBy: 4)...]).trimmingCharacters(in: .whitespaces)
            }
        }
        var remoteLines: [String] {
            output.split(whereSeparator: \.isNewline).compactMap { line in
                guard line.hasPrefix("remote: ") else { return nil }
                return line.dropFirst("remote: ".count).trimmingCharacters(in: .whitespaces)
            }
        }
    }

    static func signUp(_ name: String, on dev: DevPlatformRun, directory: URL) async throws -> PushingUser {
        let api = dev.summary.apiURL + "/v1"
        let password = "correct horse battery"
        let signup = try await postJSON(api + "/auth/signup", ["username": name, "email": "\(name)@example.com", "password": password])
        #expect(signup.0 == 201, "\(signup.1)")
        let mails = try FileManager.default.contentsOfDirectory(atPath: dev.summary.mailDirectory)
            .map { try String(contentsOfFile: dev.summary.mailDirectory + "/" + $0, encoding: .utf8) }
            .filter { $0.contains("To: \(name)@example.com") }
        let mail = try #require(mails.first)
        let tokenRange = try #require(mail.range(of: #"token=ptn_[A-Za-z0-9_-]+"#, options: .regularExpression))
        let verified = try await postJSON(api + "/auth/verify-email", ["token": String(mail[tokenRange].dropFirst("token=".count))])
        #expect(verified.0 == 200, "\(verified.1)")
        let login = try await postJSON(api + "/auth/login", ["login": name, "password": password])
        let token = try #require(json(login.1)["token"] as? String, "\(login.1)")

        let keyPath = directory.appendingPathComponent("\(name)_ed25519").path
        let keygen = try await ProgramRun("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "\(name)@laptop", "-f", keyPath],
                                          environment: [:]).run()
        #expect(keygen.exitCode == 0, "\(keygen)")
        let user = PushingUser(name: name, token: token, keyPath: keyPath, directory: directory, dev: dev)
        let key = try await user.api(.post, "/v1/ssh-keys", ["key": try String(contentsOfFile: keyPath + ".pub", encoding: .utf8)])
        #expect(key.status == 201, "\(key.body)")
        return user
    }

    enum Method: String { case get = "GET", post = "POST", patch = "PATCH", delete = "DELETE" }

    /// - Parameter seconds: curl's time limit; a configuration change or rollback answers only once the new
    ///   release serves, which takes longer than the default 10 s on a loaded machine.
    func api(_ method: Method, _ path: String, _ body: [String: Any]? = nil, seconds: Int = 10) async throws -> Reply {
        var arguments = ["-X", method.rawValue, dev.summary.apiURL + path, "-H", "Authorization: Bearer \(token)",
                         "--max-time", String(seconds)]
        if let body {
            arguments += ["-H", "Content-Type: application/json", "-d", String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)]
        }
        let (status, text) = try await curl(arguments)
        return Reply(status: status, body: text)
    }

    static func postJSON(_ url: String, _ body: [String: Any]) async throws -> (Int, String) {
        try await curl([url, "-H", "Content-Type: application/json", "-d", String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)])
    }

    func releases(_ deployment: String) async throws -> [[String: Any]] {
        json(try await api(.get, "/v1/deployments/\(deployment)/releases").body)["items"] as? [[String: Any]] ?? []
    }

    func projectUUID(_ name: String) async throws -> String {
        let projects = json(try await api(.get, "/v1/projects").body)["items"] as? [[String: Any]] ?? []
        return try #require(projects.first { $0["name"] as? String == name }?["uuid"] as? String)
    }

    func deploymentUUID(project: String, name: String) async throws -> String {
        let deployments = json(try await api(.get, "/v1/projects/\(try await projectUUID(project))/deployments").body)["items"] as? [[String: Any]] ?? []
        return try #require(deployments.first { $0["name"] as? String == name }?["uuid"] as? String)
    }

    /// A git work tree with one commit of `examples/<example>`; `replacing` keeps that tree's history and
    /// commits the example's files over it.
    func workTree(copying example: String, named name: String, replacing existing: String? = nil) throws -> String {
        let work = existing ?? directory.appendingPathComponent("work-\(name)-\(UUID().uuidString.prefix(6))").path
        if existing == nil {
            try git(["init", "--quiet", "--initial-branch=main", work], in: directory.path)
        } else {
            for entry in try FileManager.default.contentsOfDirectory(atPath: work) where entry != ".git" {
                try FileManager.default.removeItem(atPath: work + "/" + entry)
            }
        }
        let source = GitPushEndToEndTests.examples.appendingPathComponent(example).path
        for entry in try FileManager.default.contentsOfDirectory(atPath: source) {
            try FileManager.default.copyItem(atPath: source + "/" + entry, toPath: work + "/" + entry)
        }
        try git(["add", "--all"], in: work)
        try git(["commit", "--quiet", "-m", "\(example) for \(name)"], in: work)
        return work
    }

    func edit(_ work: String, _ file: String, _ change: (String) -> String) throws {
        let path = work + "/" + file
        try change(try String(contentsOfFile: path, encoding: .utf8)).write(toFile: path, atomically: true, encoding: .utf8)
        try git(["commit", "--quiet", "-am", "edit \(file)"], in: work)
    }

    /// `git push ssh://git@127.0.0.1:<port>/<user>/<project>.git main` with this user's key.
    func push(_ work: String, project: String) async throws -> PushResult {
        let remote = try #require(dev.summary.gitURL) + "/\(name)/\(project).git"
        let result = try await ProgramRun("/usr/bin/git", ["push", remote, "main"], environment: gitEnvironment, directory: work,
                                          timeout: .seconds(300)).run()
        return PushResult(status: result.exitCode ?? -1, output: result.stdoutText + result.stderrText)
    }

    @discardableResult
    func git(_ arguments: [String], in directory: String) throws -> String {
        let result = try ProgramRun("/usr/bin/git", arguments, environment: gitEnvironment, directory: directory).runBlocking()
        guard result.exitCode == 0 else { throw HarnessFailure("git \(arguments.joined(separator: " ")): \(result)") }
        return result.stdoutText
    }

    var gitEnvironment: [String: String] {
        [
            "PATH": "/usr/bin:/bin", "HOME": directory.path, "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "Alice", "GIT_AUTHOR_EMAIL": "alice@example.com",
            "GIT_COMMITTER_NAME": "Alice", "GIT_COMMITTER_EMAIL": "alice@example.com",
            "GIT_SSH_COMMAND": "ssh -i '\(keyPath)' -o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR",
        ]
    }
}

struct HarnessFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A WebSocket client through the edge (python3-websockets): sends "one" and prints the echo, creates
/// `<signals>/connected`, waits for `<signals>/switched` (the test redeploys meanwhile), sends "two" on the same
/// socket, then "three" on a new one, printing each echo.
func webSocketAcrossRedeploy(edge: String, host: String, signals: String) async throws -> ProgramRun.Result {
    let script = #"""
        import asyncio, os, sys, websockets
        edge, host, signals = sys.argv[1], sys.argv[2], sys.argv[3]
        address, port = edge.rsplit(":", 1)
        def connect():
            return websockets.connect("ws://%s/" % host, host=address, port=int(port), open_timeout=10)
        async def main():
            async with connect() as first:
                await first.send("one"); print(await first.recv(), flush=True)
                open(os.path.join(signals, "connected"), "w").close()
                for _ in range(6000):
                    if os.path.exists(os.path.join(signals, "switched")): break
                    await asyncio.sleep(0.02)
                await first.send("two"); print(await first.recv(), flush=True)
                async with connect() as second:
                    await second.send("three"); print(await second.recv(), flush=True)
        asyncio.run(main())
        """#
    let path = signals + "/client.py"
    try script.write(toFile: path, atomically: true, encoding: .utf8)
    return try await ProgramRun("/usr/bin/python3", [path, edge, host, signals], environment: ["PATH": "/usr/bin:/bin"],
                                timeout: .seconds(180)).run()
}
