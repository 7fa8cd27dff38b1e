import Foundation
import Glibc
import PomegranateRPC
import Systemd
import Testing

/// `paastech backup` on one dev platform and `paastech restore` on a fresh one, with real PostgreSQL, git,
/// OpenSSH and sandboxes: the app runs again on the second platform without a rebuild, its API knows the user,
/// the project and the releases, and the user pushes and rolls back there.
@Suite("backup and restore between two platforms", .serialized, .enabled(if: geteuid() == 0, "sandboxes need root"))
struct BackupRestoreTests {
    @Test("push to A, back up, restore on a fresh B: the app serves through B's edge, B's API knows it, pushes work")
    func roundTrip() async throws {
        // A fixed place, emptied first and kept afterwards to look into (its platforms are stopped by then).
        let root = URL(fileURLWithPath: "/tmp/paastech-backup-roundtrip")
        try? FileManager.default.removeItem(at: root)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let archives = root.appendingPathComponent("archives")
        try FileManager.default.createDirectory(at: archives, withIntermediateDirectories: true)

        guard let a = try await DevPlatformRun.start(stateDirectory: root.appendingPathComponent("a"), apiPort: try freePort(),
                                                     sshPort: try freePort(), sandboxName: "bkpa", sandboxSubnet: "10.84.0.0/16")
        else { return }
        let (user, work, archive) = try await a.whileRunning {
            let (user, work) = try await pushApp(to: a, directory: root)
            return (user, work, try await backUp(a, into: archives, scratch: root))
        }

        guard let b = try await DevPlatformRun.start(stateDirectory: root.appendingPathComponent("b"), apiPort: try freePort(),
                                                     sshPort: try freePort(), sandboxName: "bkpb", sandboxSubnet: "10.85.0.0/16")
        else { return }
        try await b.whileRunning {
            // gitd writes its host keys once it has generated them (RSA takes a moment): let it finish first.
            #expect(try await eventually(timeout: .seconds(60)) {
                try await ProgramRun("/usr/bin/ssh-keyscan", ["-p", String(b.sshPort), "-t", "rsa,ed25519", "127.0.0.1"],
                                     environment: [:], timeout: .seconds(10)).run().stdoutText.split(separator: "\n").count == 2
            })
            try await restore(archive, on: b, from: a, user: user, work: work)
        }
    }

    /// alice signs up on A, creates `hello` and pushes examples/python-hello; it answers through A's edge.
    func pushApp(to a: DevPlatformRun, directory: URL) async throws -> (PushingUser, String) {
        let user = try await PushingUser.signUp("alice", on: a, directory: directory)
        let project = try await user.api(.post, "/v1/projects", ["name": "hello"])
        #expect(project.status == 201, "\(project.body)")
        let work = try user.workTree(copying: "python-hello", named: "hello")
        let pushed = try await user.push(work, project: "hello")
        #expect(pushed.status == 0, "\(pushed.output)\n\(a.process.log.suffix(3000))")
        #expect(try await eventually(timeout: .seconds(15)) { edgeGet(a, "web.hello.apps.localhost").body == "hello from python\n" })
        return (user, work)
    }

    /// `paastech backup` while A runs; a backup that fails leaves nothing behind.
    func backUp(_ a: DevPlatformRun, into archives: URL, scratch: URL) async throws -> String {
        let binary = try Binary.path()
        let backup = try await ProgramRun(binary, ["backup", "--config", a.summary.configurationFile, "--output", archives.path],
                                          environment: ["PATH": "/usr/bin:/bin"], timeout: .seconds(300)).run()
        #expect(backup.exitCode == 0, "\(backup)")
        print("paastech backup:\n\(backup.stdoutText)")
        for line in ["-----> Dumping the database", "schema version", "-----> Archiving repos, releases, logs, edge, git from",
                     "-----> Wrote \(archives.path)/paastech-backup-"] {
            #expect(backup.stdoutText.contains(line), "\(line) missing:\n\(backup)")
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: archives.path)
        #expect(files.count == 1 && files[0].hasPrefix("paastech-backup-") && files[0].hasSuffix("Z.tar"), "\(files)")
        let archive = archives.appendingPathComponent(try #require(files.first)).path
        var status = stat()
        #expect(stat(archive, &status) == 0 && status.st_mode & 0o777 == 0o600, "the archive holds secrets: 0600")

        let listing = try await ProgramRun("/usr/bin/tar", ["--list", "--file=" + archive], environment: [:]).run()
        let members = listing.stdoutText.split(separator: "\n").map(String.init)
        #expect(members.first == "manifest.json", "\(members.prefix(5))")
        for member in ["database.dump", "repos/", "releases/", "logs/", "edge/", "git/"] {
            #expect(members.contains(member), "\(member) missing from the archive: \(members.prefix(40))")
        }
        #expect(!members.contains { $0.hasPrefix("cache/") || $0.hasPrefix("pomegranate/") }, "\(members.prefix(40))")
        let manifest = json(try await ProgramRun("/usr/bin/tar", ["--extract", "--to-stdout", "--file=" + archive, "manifest.json"],
                                                 environment: [:]).run().stdoutText)
        #expect(manifest["format_version"] as? Int == 1 && manifest["schema_version"] as? Int ?? 0 >= 1, "\(manifest)")
        #expect(manifest["state_directory"] as? String == a.stateDirectory.appendingPathComponent("var").path, "\(manifest)")

        // A database that cannot be reached: the backup fails and leaves neither an archive nor its scratch files.
        let broken = scratch.appendingPathComponent("broken.toml")
        let configuration = try String(contentsOfFile: a.summary.configurationFile, encoding: .utf8)
        try configuration.replacing(/conninfo = .*/, with: "conninfo = \"host=/nonexistent dbname=paastech\"")
            .write(to: broken, atomically: true, encoding: .utf8)
        let failedDirectory = scratch.appendingPathComponent("failed")
        try FileManager.default.createDirectory(at: failedDirectory, withIntermediateDirectories: true)
        let failed = try await ProgramRun(binary, ["backup", "--config", broken.path, "--output", failedDirectory.path + "/x.tar"],
                                          environment: ["PATH": "/usr/bin:/bin"], timeout: .seconds(60)).run()
        #expect(failed.exitCode != 0 && failed.stderrText.contains("cannot read the database's schema version"), "\(failed)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: failedDirectory.path).isEmpty)
        return archive
    }

    /// `paastech restore` on a fresh B, then what alice sees there.
    func restore(_ archive: String, on b: DevPlatformRun, from a: DevPlatformRun, user: PushingUser, work: String) async throws {
        let binary = try Binary.path()
        let restore = try await ProgramRun(binary, ["restore", "--config", b.summary.configurationFile, archive],
                                           environment: ["PATH": "/usr/bin:/bin"], timeout: .seconds(300)).run()
        #expect(restore.exitCode == 0, "\(restore)\n\(b.process.log.suffix(3000))")
        print("paastech restore:\n\(restore.stdoutText)")
        for line in ["-----> Reading \(archive)", "-----> Checking this platform", "-----> Restoring the database",
                     "-----> Replacing repos, releases, logs, edge, git in", "-----> Redeploying 1 serving release(s) without rebuilding",
                     "       hello/web v1: 1 instance(s), live at http://web.hello.apps.localhost:\(b.httpPort)",
                     "-----> Restored: 1 deployment(s) serving"] {
            #expect(restore.stdoutText.contains(line), "\(line) missing:\n\(restore)")
        }
        // The app runs on B, in B's subnet, answering through B's edge by its host name.
        #expect(try await eventually(timeout: .seconds(15)) { edgeGet(b, "web.hello.apps.localhost").body == "hello from python\n" },
                "\(b.process.log.suffix(3000))")

        // B's API knows alice (same password), her project, its deployment and its release.
        let login = try await PushingUser.postJSON(b.summary.apiURL + "/v1/auth/login", ["login": "alice", "password": "correct horse battery"])
        let token = try #require(json(login.1)["token"] as? String, "\(login)")
        let alice = PushingUser(name: "alice", token: token, keyPath: user.keyPath, directory: user.directory, dev: b)
        let web = try await alice.deploymentUUID(project: "hello", name: "web")
        let releases = try await alice.releases(web)
        #expect(releases.map { "v\($0["version"] as? Int ?? 0) \($0["status"] as? String ?? "")" } == ["v1 live"], "\(releases)")
        // gitd's host keys came along, so alice's known_hosts entry stays valid (gitd serves them from its next start).
        let hostKeys = try FileManager.default.contentsOfDirectory(atPath: a.stateDirectory.appendingPathComponent("var/git").path)
        #expect(!hostKeys.isEmpty)
        for key in hostKeys {
            let path = "var/git/" + key
            #expect(FileManager.default.contents(atPath: a.stateDirectory.appendingPathComponent(path).path)
                        == FileManager.default.contents(atPath: b.stateDirectory.appendingPathComponent(path).path), "\(key)")
        }

        // A second restore without --force is refused, and changes nothing.
        let again = try await ProgramRun(binary, ["restore", "--config", b.summary.configurationFile, archive],
                                         environment: ["PATH": "/usr/bin:/bin"], timeout: .seconds(120)).run()
        #expect(again.exitCode != 0, "\(again)")
        #expect(again.stderrText.contains("the database already has 1 project(s)") && again.stderrText.contains("Pass --force"), "\(again)")
        print("paastech restore, again:\n\(again.stdoutText)\(again.stderrText)")
        #expect(!again.stdoutText.contains("Restoring the database"), "\(again)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: b.stateDirectory.appendingPathComponent("var").path)
                    .filter { $0.hasPrefix(".restore-") }.isEmpty, "no unpacked leftovers")
        #expect(try await alice.releases(web).count == 1)
        #expect(edgeGet(b, "web.hello.apps.localhost").body == "hello from python\n")

        // A push to B builds v2 there (the repository came along: git sends only the new commit).
        try alice.edit(work, "app.py") { $0.replacingOccurrences(of: "hello from python", with: "hello from B") }
        let pushed = try await alice.push(work, project: "hello")
        #expect(pushed.status == 0, "\(pushed.output)\n\(b.process.log.suffix(3000))")
        #expect(pushed.output.contains("-----> Released web v2"), "\(pushed.output)")
        #expect(try await eventually(timeout: .seconds(15)) { edgeGet(b, "web.hello.apps.localhost").body == "hello from B\n" })

        // --force restores the backup over a platform in use: B's v2 and a project the backup does not have go.
        _ = try await alice.api(.post, "/v1/projects", ["name": "other"])
        let other = try await alice.push(try alice.workTree(copying: "python-hello", named: "other"), project: "other")
        #expect(other.status == 0, "\(other.output)")
        #expect(try await eventually(timeout: .seconds(15)) { edgeGet(b, "web.other.apps.localhost").status == 200 })
        // Its manifest says schema version 1, as a backup of an older paastech would: the restore migrates.
        let older = try await withManifest(of: archive) { $0["schema_version"] = 1 }
        let forced = try await ProgramRun(binary, ["restore", "--config", b.summary.configurationFile, "--force", older],
                                          environment: ["PATH": "/usr/bin:/bin"], timeout: .seconds(300)).run()
        #expect(forced.exitCode == 0, "\(forced)\n\(b.process.log.suffix(3000))")
        print("paastech restore --force:\n\(forced.stdoutText)")
        for line in ["the database has 2 project(s), replaced (--force)", "-----> Migrating the schema from version 1 to",
                     "-----> Stopping 1 deployment(s) the backup does not have",
                     "       hello/web v1: 1 instance(s), live at"] {
            #expect(forced.stdoutText.contains(line), "\(line) missing:\n\(forced)")
        }
        #expect(try await eventually(timeout: .seconds(15)) { edgeGet(b, "web.hello.apps.localhost").body == "hello from python\n" })
        #expect(try await eventually(timeout: .seconds(15)) { edgeGet(b, "web.other.apps.localhost").status == 404 })
        // The database is A's again: the session alice opened on B is gone, the one she had on A works.
        #expect(try await alice.api(.get, "/v1/projects").status == 401)
        let sessionFromA = PushingUser(name: "alice", token: user.token, keyPath: user.keyPath, directory: user.directory, dev: b)
        #expect(try await sessionFromA.releases(web).map { "v\($0["version"] as? Int ?? 0) \($0["status"] as? String ?? "")" } == ["v1 live"])

        // The restored v1 is a release to go back to: its description is read where B keeps its releases.
        let rollback = try await ProgramRun(binary, ["rollback", "--api", b.summary.apiURL, "hello/web", "v1"],
                                            environment: ["PAASTECH_TOKEN": user.token, "PATH": "/usr/bin:/bin"]).run()
        #expect(rollback.exitCode == 0 && rollback.stdoutText.contains("Released web v2: rollback to v1 (the build of v1)"), "\(rollback)")
        #expect(edgeGet(b, "web.hello.apps.localhost").body == "hello from python\n")
    }

    /// A copy of `archive` whose manifest `change` edited.
    func withManifest(of archive: String, _ change: (inout [String: Any]) -> Void) async throws -> String {
        let copy = (archive as NSString).deletingPathExtension + "-edited.tar"
        let scratch = (archive as NSString).deletingLastPathComponent + "/manifest.json"
        try FileManager.default.copyItem(atPath: archive, toPath: copy)
        var manifest = json(try await ProgramRun("/usr/bin/tar", ["--extract", "--to-stdout", "--file=" + archive, "manifest.json"],
                                                 environment: [:]).run().stdoutText)
        change(&manifest)
        try JSONSerialization.data(withJSONObject: manifest).write(to: URL(fileURLWithPath: scratch))
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        for arguments in [["--delete", "--file=" + copy, "manifest.json"],
                          ["--append", "--file=" + copy, "--directory=" + (scratch as NSString).deletingLastPathComponent, "manifest.json"]] {
            let result = try await ProgramRun("/usr/bin/tar", arguments, environment: [:]).run()
            guard result.exitCode == 0 else { throw HarnessFailure("tar \(arguments): \(result)") }
        }
        return copy
    }

    func edgeGet(_ dev: DevPlatformRun, _ host: String) -> (status: Int, body: String) {
        RoutePoller.get(dev.edgeAddress, host: host)
    }
}

extension DevPlatformRun {
    /// Runs `body`, then stops the platform's apps (they outlive `paastech dev`, as they outlive a Pomegranate
    /// restart) and the platform, also when `body` throws.
    func whileRunning<Value>(_ body: () async throws -> Value) async throws -> Value {
        let result: Result<Value, any Error>
        do {
            result = .success(try await body())
        } catch {
            result = .failure(error)
        }
        try? await PomegranateConnection.withClient(socketPath: pomegranateSocket) { pomegranate in
            let running = try await pomegranate.instances.status(Paastech_Pomegranate_V1_StatusRequest()).deployments
            try await pomegranate.stopDeployments(running.map(\.deploymentID))
        }
        let status = await stop()
        if case .success = result { #expect(status == 0, "\(process.log.suffix(3000))") }
        return try result.get()
    }
}
