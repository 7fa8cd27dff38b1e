import Foundation
import GRPCCore
import RepoManager
import RepoManagerRPC
import Testing

/// Real pushes into a repository the service created, its hook, and the export of pushed commits.
@Suite("repo manager: push, hook and export")
struct RepositoryPushTests {
    static let zeroID = String(repeating: "0", count: 40)

    @Test func pushRunsTheHookAndExportReproducesEachCommit() async throws {
        let harness = try RepoManagerHarness()
        defer { harness.removeAll() }
        let projectID = UUID().uuidString.lowercased()
        let created = try await harness.withServer { socket in
            try await RepoManagerConnection.withClient(socketPath: socket) { client in
                var create = Paastech_Repomanager_V1_CreateRepositoryRequest()
                create.projectID = projectID
                return try await client.createRepository(create)
            }
        }
        let repository = created.path

        // First push: git runs the hook with "<old> <new> <ref>" on stdin.
        let work = try harness.makeWorkTree(remote: repository)
        let first = try harness.git(["rev-parse", "HEAD"], in: work)
        let firstTree = try RepoManagerHarness.snapshot(of: work)
        try harness.git(["push", "--quiet", "origin", "main"], in: work)
        #expect(try String(contentsOfFile: harness.hookLog, encoding: .utf8)
                == "args: hook pre-receive\n\(Self.zeroID) \(first) refs/heads/main\n")

        // Second push: a changed file, a removed one, a file turned executable, a new nested one.
        try harness.write("README.md", "# demo, version 2\n", in: work)
        try FileManager.default.removeItem(atPath: work + "/src/readme-link")
        try harness.write("bin/migrate", "#!/bin/sh\necho migrating\n", in: work, mode: 0o755)
        try harness.write("web/static/css/site.css", "body { margin: 0 }\n", in: work)
        try harness.git(["add", "--all"], in: work)
        try harness.git(["commit", "--quiet", "--message", "Second version\n\nWith a body that is not the subject."], in: work)
        let second = try harness.git(["rev-parse", "HEAD"], in: work)
        let secondTree = try RepoManagerHarness.snapshot(of: work)
        try harness.git(["push", "--quiet", "origin", "main"], in: work)
        #expect(try String(contentsOfFile: harness.hookLog, encoding: .utf8)
                == "args: hook pre-receive\n\(Self.zeroID) \(first) refs/heads/main\nargs: hook pre-receive\n\(first) \(second) refs/heads/main\n")

        // GetRepository lists the pushed branch.
        let described = try await harness.withServer { socket in
            try await RepoManagerConnection.withClient(socketPath: socket) { client in
                var get = Paastech_Repomanager_V1_GetRepositoryRequest()
                get.projectID = projectID
                return try await client.getRepository(get)
            }
        }
        #expect(described.branches.map(\.name) == ["main"])
        #expect(described.branches.map(\.commit) == [second])
        #expect(described.sizeBytes > created.sizeBytes)

        // Each commit exports byte for byte, with modes, the nested directories and the symlink.
        let firstExport = harness.base + "/export-first"
        try RepositoryExport.checkout(repositoryPath: repository, commit: first, into: firstExport)
        #expect(try RepoManagerHarness.snapshot(of: firstExport) == firstTree)
        #expect(firstTree["src/readme-link"] == .symlink("nested/deep/data.bin"))
        #expect(try RepoManagerHarness.mode(firstExport + "/bin/start") == 0o755)
        #expect(try RepoManagerHarness.mode(firstExport + "/README.md") == 0o644)
        #expect(try RepoManagerHarness.mode(firstExport + "/src/nested") == 0o755)

        let secondExport = harness.base + "/export-second"
        try FileManager.default.createDirectory(atPath: secondExport, withIntermediateDirectories: false)
        try RepositoryExport.checkout(repositoryPath: repository, commit: "main", into: secondExport)
        #expect(try RepoManagerHarness.snapshot(of: secondExport) == secondTree)
        #expect(secondTree["web/static/css/site.css"] != nil && secondTree["src/readme-link"] == nil)
        #expect(!FileManager.default.fileExists(atPath: secondExport + "/.git"))

        // Refs resolve as git resolves them.
        #expect(try RepositoryExport.resolve(repositoryPath: repository, ref: "main") == second)
        #expect(try RepositoryExport.resolve(repositoryPath: repository, ref: "refs/heads/main") == second)
        #expect(try RepositoryExport.resolve(repositoryPath: repository, ref: first) == first)
        #expect(try RepositoryExport.resolve(repositoryPath: repository, ref: String(first.prefix(12))) == first)
        #expect(try RepositoryExport.resolve(repositoryPath: repository, ref: "no-such-branch") == nil)
        #expect(try RepositoryExport.resolve(repositoryPath: repository, ref: Self.zeroID.replacing("0", with: "1")) == nil)

        // The summary matches git log's.
        let summary = try RepositoryExport.summary(repositoryPath: repository, commit: second)
        #expect(summary.id == second)
        #expect(summary.subject == (try harness.git(["log", "-1", "--format=%s", second], in: work)))
        #expect(summary.subject == "Second version")
        #expect(summary.author == (try harness.git(["log", "-1", "--format=%an <%ae>", second], in: work)))
        #expect(summary.shortID.count >= 7 && second.hasPrefix(summary.shortID))
    }

    @Test func theRepositoryAcceptsForcePushesAndRefusesBranchDeletion() async throws {
        let harness = try RepoManagerHarness()
        defer { harness.removeAll() }
        let repository = try harness.store.create(projectID: UUID().uuidString, defaultBranch: "main").path
        let work = try harness.makeWorkTree(remote: repository)
        try harness.git(["push", "--quiet", "origin", "main"], in: work)

        try harness.git(["commit", "--quiet", "--amend", "--message", "Rewritten history"], in: work)
        let rewritten = try harness.git(["rev-parse", "HEAD"], in: work)
        try harness.git(["push", "--quiet", "--force", "origin", "main"], in: work)
        #expect(try RepositoryExport.resolve(repositoryPath: repository, ref: "main") == rewritten)

        #expect(throws: GitCommandFailed.self) { try harness.git(["push", "--quiet", "origin", ":main"], in: work) }
        #expect(try RepositoryExport.resolve(repositoryPath: repository, ref: "main") == rewritten)
    }

    @Test(arguments: [("escape", "../../../etc"), ("absolute", "/etc/passwd"), ("climbing", "inside/../../x")])
    func symlinksThatCouldLeaveTheExportAreRefused(name: String, target: String) throws {
        let harness = try RepoManagerHarness()
        defer { harness.removeAll() }
        let repository = try harness.store.create(projectID: UUID().uuidString, defaultBranch: "main").path
        let work = try harness.makeWorkTree(remote: repository)
        try FileManager.default.createSymbolicLink(atPath: work + "/src/" + name, withDestinationPath: target)
        try harness.git(["add", "--all"], in: work)
        try harness.git(["commit", "--quiet", "--message", "Add a link"], in: work)
        try harness.git(["push", "--quiet", "origin", "main"], in: work)

        let error = #expect(throws: RepositoryError.self) {
            try RepositoryExport.checkout(repositoryPath: repository, commit: "main", into: harness.base + "/export")
        }
        guard case .unsafeTreeEntry(let path, _) = error else {
            Issue.record("expected unsafeTreeEntry, got \(String(describing: error))")
            return
        }
        #expect(path == "src/" + name)
    }

    @Test func exportWritesNamesThatAreNotUTF8ByteForByte() throws {
        let harness = try RepoManagerHarness()
        defer { harness.removeAll() }
        let repository = try harness.store.create(projectID: UUID().uuidString, defaultBranch: "main").path
        let work = try harness.makeWorkTree(remote: repository)
        let latin1Name = Array("caf".utf8) + [0xE9] + Array(".txt".utf8)  // "café.txt" in ISO 8859-1
        try RepoManagerHarness.createFile(rawName: latin1Name, in: work, contents: "latin-1 name\n")
        try harness.git(["add", "--all"], in: work)
        try harness.git(["commit", "--quiet", "--message", "Add a file with a Latin-1 name"], in: work)
        try harness.git(["push", "--quiet", "origin", "main"], in: work)

        let export = harness.base + "/export"
        try RepositoryExport.checkout(repositoryPath: repository, commit: "main", into: export)
        #expect(RepoManagerHarness.readFile(rawName: latin1Name, in: export) == "latin-1 name\n")
    }

    @Test func exportRefusesANonEmptyDirectoryAndAnUnknownCommit() throws {
        let harness = try RepoManagerHarness()
        defer { harness.removeAll() }
        let repository = try harness.store.create(projectID: UUID().uuidString, defaultBranch: "main").path
        let work = try harness.makeWorkTree(remote: repository)
        try harness.git(["push", "--quiet", "origin", "main"], in: work)

        let occupied = harness.base + "/occupied"
        try harness.write("already-here", "x", in: occupied)
        #expect(throws: RepositoryError.exportDirectoryNotEmpty(occupied)) {
            try RepositoryExport.checkout(repositoryPath: repository, commit: "main", into: occupied)
        }
        #expect(throws: RepositoryError.commitNotFound(repository: repository, spec: "nope")) {
            try RepositoryExport.checkout(repositoryPath: repository, commit: "nope", into: harness.base + "/fresh")
        }
        #expect(throws: RepositoryError.commitNotFound(repository: repository, spec: "nope")) {
            try RepositoryExport.summary(repositoryPath: repository, commit: "nope")
        }
        // An empty repository has no commit to export either.
        let empty = try harness.store.create(projectID: UUID().uuidString, defaultBranch: "main").path
        #expect(try RepositoryExport.resolve(repositoryPath: empty, ref: "main") == nil)
    }
}
