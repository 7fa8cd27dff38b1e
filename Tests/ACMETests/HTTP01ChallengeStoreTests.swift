import Testing

@testable import ACME

/// The store the edge's port-80 handler reads synchronously.
struct HTTP01ChallengeStoreTests {
    @Test func servesPublishedTokensUntilWithdrawn() async {
        let store = HTTP01ChallengeStore()
        #expect(store.keyAuthorization(forToken: "t1") == nil)
        await store.publish(token: "t1", keyAuthorization: "t1.thumb")
        await store.publish(token: "t2", keyAuthorization: "t2.thumb")
        #expect(store.keyAuthorization(forToken: "t1") == "t1.thumb")
        #expect(store.keyAuthorization(forPath: "/.well-known/acme-challenge/t2") == "t2.thumb")
        #expect(Set(store.publishedTokens) == ["t1", "t2"])
        await store.withdraw(token: "t1")
        #expect(store.keyAuthorization(forToken: "t1") == nil)
        #expect(store.keyAuthorization(forToken: "t2") == "t2.thumb")
    }

    @Test func answersOnlyExactChallengePaths() async {
        let store = HTTP01ChallengeStore()
        await store.publish(token: "tok", keyAuthorization: "tok.thumb")
        #expect(store.keyAuthorization(forPath: "/.well-known/acme-challenge/") == nil)
        #expect(store.keyAuthorization(forPath: "/.well-known/acme-challenge/tok/extra") == nil)
        #expect(store.keyAuthorization(forPath: "/well-known/acme-challenge/tok") == nil)
        #expect(store.keyAuthorization(forPath: "/.well-known/acme-challenge/other") == nil)
    }
}
