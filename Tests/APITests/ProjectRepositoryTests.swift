import Foundation
import Testing

/// The API keeps one bare repository per project through the real repo manager (gRPC on a Unix socket).
@Suite("Projects and their git repositories")
struct ProjectRepositoryTests {
    @Test("creating a project creates its repository; deleting the project deletes it")
    func repositoryFollowsTheProject() async throws {
        let platform = try await TestPlatform.make()
        try await platform.withClient { api in
            let alice = try await api.signUpAndLogIn("alice")
            let created = try await api.request(.post, "/v1/projects", token: alice, json: ["name": "shop"])
            #expect(created.status == .created, "\(created.body)")
            let uuid = try #require(created.json["uuid"] as? String).lowercased()
            let repository = try #require(try platform.repositories.info(projectID: uuid))
            #expect(repository.defaultBranch == "main")
            #expect(FileManager.default.fileExists(atPath: repository.path + "/hooks/pre-receive"))

            let moved = try await api.request(.patch, "/v1/projects/\(uuid)", token: alice, json: ["default_branch": "trunk"])
            #expect(moved.status == .ok)
            #expect(try platform.repositories.info(projectID: uuid)?.defaultBranch == "trunk")

            #expect(try await api.request(.delete, "/v1/projects/\(uuid)", token: alice).status == .noContent)
            #expect(try platform.repositories.info(projectID: uuid) == nil)
            #expect(!FileManager.default.fileExists(atPath: repository.path))
        }
    }

    @Test("without the repo manager, creating a project fails with 503 and creates nothing")
    func creationNeedsTheRepoManager() async throws {
        let platform = try await TestPlatform.make()
        try await platform.withClient { api in
            let alice = try await api.signUpAndLogIn("alice")
            try FileManager.default.removeItem(atPath: platform.repoManagerSocket)  // nobody can connect any more
            let refused = try await api.request(.post, "/v1/projects", token: alice, json: ["name": "shop"])
            #expect(refused.status == .serviceUnavailable, "\(refused.body)")
            #expect(refused.errorCode == "agent_unavailable")
            #expect(try await api.request(.get, "/v1/projects", token: alice).items.isEmpty)
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: platform.repositories.directory)) ?? []).isEmpty)
        }
    }
}
