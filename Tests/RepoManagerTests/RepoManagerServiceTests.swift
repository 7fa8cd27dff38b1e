import Foundation
import GRPCCore
import RepoManager
import RepoManagerRPC
import Testing

/// The RepoManager gRPC service over a real Unix socket, checked against the real git command line.
@Suite("repo manager: gRPC service")
struct RepoManagerServiceTests {
    @Test func createIsIdempotentAndGetDescribesTheBareRepository() async throws {
        let harness = try RepoManagerHarness()
        defer { harness.removeAll() }
        let projectID = UUID().uuidString  // upper case: the store keeps the canonical lower-case form
        let expectedPath = harness.repositories + "/" + projectID.lowercased() + ".git"

        let (first, second, described) = try await harness.withServer { socket in
            try await RepoManagerConnection.withClient(socketPath: socket) { client in
                var create = Paastech_Repomanager_V1_CreateRepositoryRequest()
                create.projectID = projectID
                let first = try await client.createRepository(create)
                let second = try await client.createRepository(create)
                var get = Paastech_Repomanager_V1_GetRepositoryRequest()
                get.projectID = projectID
                return (first, second, try await client.getRepository(get))
            }
        }
        #expect(first.projectID == projectID.lowercased())
        #expect(first.path == expectedPath)
        #expect(first.defaultBranch == "main")
        #expect(first.branches.isEmpty)
        #expect(first.sizeBytes > 0)
        #expect(second.path == first.path && second.defaultBranch == "main")
        #expect(described.path == expectedPath && described.defaultBranch == "main" && described.branches.isEmpty)

        // What git itself sees.
        #expect(try harness.git(["--git-dir=" + expectedPath, "rev-parse", "--is-bare-repository"]) == "true")
        #expect(try harness.git(["--git-dir=" + expectedPath, "symbolic-ref", "HEAD"]) == "refs/heads/main")
        let config = expectedPath + "/config"
        #expect(try harness.git(["config", "--file", config, "--type=bool", "receive.denyNonFastForwards"]) == "false")
        #expect(try harness.git(["config", "--file", config, "--type=bool", "receive.denyDeletes"]) == "true")
        #expect(try harness.git(["config", "--file", config, "paastech.projectid"]) == projectID.lowercased())

        let hook = expectedPath + "/hooks/pre-receive"
        #expect(try RepoManagerHarness.mode(hook) == 0o755)
        let script = try String(contentsOfFile: hook, encoding: .utf8)
        #expect(script.hasPrefix("#!/bin/sh\n"))
        #expect(script.contains(#"exec '\#(harness.base)/hook bin/it'\''s "recorder" $HOME' hook pre-receive"#))
        // Only the repository: no temporary directories left next to it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: harness.repositories) == [projectID.lowercased() + ".git"])
    }

    @Test func createAgainRepairsTheHookAndMovesTheDefaultBranch() async throws {
        let harness = try RepoManagerHarness()
        defer { harness.removeAll() }
        let projectID = UUID().uuidString.lowercased()
        let first = try harness.store.create(projectID: projectID, defaultBranch: "")
        try FileManager.default.removeItem(atPath: first.path + "/hooks/pre-receive")

        let again = try await harness.withServer { socket in
            try await RepoManagerConnection.withClient(socketPath: socket) { client in
                var create = Paastech_Repomanager_V1_CreateRepositoryRequest()
                create.projectID = projectID
                create.defaultBranch = "production"
                return try await client.createRepository(create)
            }
        }
        #expect(again.defaultBranch == "production")
        #expect(try harness.git(["--git-dir=" + first.path, "symbolic-ref", "HEAD"]) == "refs/heads/production")
        #expect(try RepoManagerHarness.mode(first.path + "/hooks/pre-receive") == 0o755)
    }

    @Test func deleteRemovesTheRepositoryAndReportsWhetherItExisted() async throws {
        let harness = try RepoManagerHarness()
        defer { harness.removeAll() }
        let projectID = UUID().uuidString.lowercased()
        let created = try harness.store.create(projectID: projectID, defaultBranch: "main")
        // A symlink inside the repository to a directory outside it: deleting must not follow it.
        let outside = harness.base + "/outside"
        try harness.write("keep.txt", "precious\n", in: outside)
        try FileManager.default.createSymbolicLink(atPath: created.path + "/planted", withDestinationPath: outside)
        try FileManager.default.createSymbolicLink(atPath: created.path + "/hooks/planted-file", withDestinationPath: outside + "/keep.txt")
        // A loose ref whose name is not UTF-8 (git allows such branch names): deleted like any other file.
        try RepoManagerHarness.createFile(rawName: Array("caf".utf8) + [0xE9], in: created.path + "/refs/heads", contents: "x\n")

        let (existed, existedAgain, missingGet) = try await harness.withServer { socket in
            try await RepoManagerConnection.withClient(socketPath: socket) { client in
                var delete = Paastech_Repomanager_V1_DeleteRepositoryRequest()
                delete.projectID = projectID
                let existed = try await client.deleteRepository(delete).existed
                let existedAgain = try await client.deleteRepository(delete).existed
                var get = Paastech_Repomanager_V1_GetRepositoryRequest()
                get.projectID = projectID
                let missingGet = await #expect(throws: RPCError.self) { try await client.getRepository(get) }
                return (existed, existedAgain, missingGet)
            }
        }
        #expect(existed)
        #expect(!existedAgain)
        #expect(missingGet?.code == .notFound)
        #expect(!FileManager.default.fileExists(atPath: created.path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: harness.repositories).isEmpty)
        #expect(try String(contentsOfFile: outside + "/keep.txt", encoding: .utf8) == "precious\n")
    }

    @Test func deleteOfAMissingRepositoryReportsItDidNotExist() async throws {
        let harness = try RepoManagerHarness()
        defer { harness.removeAll() }
        let existed = try await harness.withServer { socket in
            try await RepoManagerConnection.withClient(socketPath: socket) { client in
                var delete = Paastech_Repomanager_V1_DeleteRepositoryRequest()
                delete.projectID = UUID().uuidString
                return try await client.deleteRepository(delete).existed
            }
        }
        #expect(!existed)
    }

    @Test(arguments: ["../x", "not-a-uuid", "", "../../etc", "/etc/passwd",
                      "3f2b8c1e-5d4a-4e6f-9b7c-0a1d2e3f4a5b/../x", "3f2b8c1e-5d4a-4e6f-9b7c-0a1d2e3f4a5b.git", "{3f2b8c1e-5d4a-4e6f-9b7c-0a1d2e3f4a5b}"])
    func badProjectIDsAreInvalidArguments(projectID: String) async throws {
        let harness = try RepoManagerHarness()
        defer { harness.removeAll() }
        let codes = try await harness.withServer { socket in
            try await RepoManagerConnection.withClient(socketPath: socket) { client in
                var create = Paastech_Repomanager_V1_CreateRepositoryRequest()
                create.projectID = projectID
                var get = Paastech_Repomanager_V1_GetRepositoryRequest()
                get.projectID = projectID
                var delete = Paastech_Repomanager_V1_DeleteRepositoryRequest()
                delete.projectID = projectID
                return [
                    await #expect(throws: RPCError.self) { try await client.createRepository(create) }?.code,
                    await #expect(throws: RPCError.self) { try await client.getRepository(get) }?.code,
                    await #expect(throws: RPCError.self) { try await client.deleteRepository(delete) }?.code,
                ]
            }
        }
        #expect(codes == [.invalidArgument, .invalidArgument, .invalidArgument])
        let created = (try? FileManager.default.contentsOfDirectory(atPath: harness.repositories)) ?? []
        #expect(created.isEmpty, "nothing may be created for \(projectID)")
    }

    @Test(arguments: ["a..b", "-rf", "has space", "refs/heads/main", "HEAD", "ends.lock", "x~1"])
    func badBranchNamesAreInvalidArguments(branch: String) async throws {
        let harness = try RepoManagerHarness()
        defer { harness.removeAll() }
        let error = try await harness.withServer { socket in
            try await RepoManagerConnection.withClient(socketPath: socket) { client in
                var create = Paastech_Repomanager_V1_CreateRepositoryRequest()
                create.projectID = UUID().uuidString
                create.defaultBranch = branch
                return await #expect(throws: RPCError.self) { try await client.createRepository(create) }
            }
        }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains("invalid branch name") == true)
    }
}
