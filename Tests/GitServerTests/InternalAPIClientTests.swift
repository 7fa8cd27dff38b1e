import Foundation
import InternalAPIClient
import Testing

@Suite("The typed client of the API's internal socket")
struct InternalAPIClientTests {
    @Test("looks up key owners and projects; unknown ones are nil")
    func lookups() async throws {
        try await GitServerHarness.run { harness in
            let client = InternalAPIClient(socketPath: harness.configuration.paths.apiInternalSocket)
            let owner = try #require(try await client.keyOwner(fingerprint: harness.alice.fingerprint))
            #expect(owner.username == "alice")
            #expect(owner.userID == harness.alice.id)
            #expect(!owner.isAdmin)
            #expect(try await client.keyOwner(fingerprint: "SHA256:nobodyHasThisKey+/0") == nil)

            let project = try #require(try await client.project(owner: "alice", name: "site"))
            #expect(project.name == "site")
            #expect(project.owner == "alice")
            #expect(project.defaultBranch == "main")
            #expect(harness.siteRepository.hasSuffix("/\(project.idString).git"))
            #expect(try await client.project(owner: "bob", name: "site") == nil)
            #expect(try await client.project(owner: "alice", name: "../x") == nil)

            // A disabled user owns no keys.
            _ = try await harness.store.updateUser(id: harness.bob.id, isAdmin: nil, disabled: true)
            #expect(try await client.keyOwner(fingerprint: harness.bob.fingerprint) == nil)
        }
    }

    @Test("a caller whose uid is not allowed gets a typed 403")
    func forbidden() async throws {
        try await GitServerHarness.run({ $0.api.internalAllowedUsers = ["nobody"] }) { harness in
            let client = InternalAPIClient(socketPath: harness.configuration.paths.apiInternalSocket)
            let error = try await #require(throws: InternalAPIError.self) {
                _ = try await client.project(owner: "alice", name: "site")
            }
            #expect(error.status == 403)
            #expect(error.code == "forbidden")
            #expect(error.description.contains("internal_allowed_users"))
        }
    }

    @Test("a socket nobody listens on is reported as unreachable")
    func unreachable() async throws {
        let client = InternalAPIClient(socketPath: "/tmp/paastech-no-such-\(UUID().uuidString.prefix(8)).sock", timeout: .seconds(2))
        let error = try await #require(throws: InternalAPIError.self) {
            _ = try await client.keyOwner(fingerprint: "SHA256:x")
        }
        #expect(error.status == nil)
        #expect(error.code == InternalAPIError.unreachable)
        #expect(error.description.contains("paastech-api"))
    }
}
