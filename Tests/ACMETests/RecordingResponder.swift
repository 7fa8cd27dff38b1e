import Synchronization

@testable import ACME

/// The real ``HTTP01ChallengeStore`` with a record of what the client asked of it, and of what the
/// store would have served at that moment (what the edge's port-80 handler reads).
final class RecordingResponder: HTTP01ChallengeResponder {
    enum Event: Equatable, Sendable {
        /// A token was published; `served` is what the store answered for its path right afterwards.
        case published(token: String, keyAuthorization: String, served: String?)
        case withdrawn(token: String, servedAfterwards: String?)
    }

    let store = HTTP01ChallengeStore()
    private let recorded = Mutex<[Event]>([])
    /// Runs after each publication, to make something happen mid-issuance.
    private let afterPublishing: (@Sendable () async -> Void)?

    init(afterPublishing: (@Sendable () async -> Void)? = nil) {
        self.afterPublishing = afterPublishing
    }

    var events: [Event] { recorded.withLock { $0 } }

    /// The tokens published, in order.
    var publishedTokens: [String] {
        events.compactMap { if case .published(let token, _, _) = $0 { token } else { nil } }
    }

    /// The tokens withdrawn, in order.
    var withdrawnTokens: [String] {
        events.compactMap { if case .withdrawn(let token, _) = $0 { token } else { nil } }
    }

    func publish(token: String, keyAuthorization: String) async {
        await store.publish(token: token, keyAuthorization: keyAuthorization)
        let served = store.keyAuthorization(forPath: HTTP01ChallengeStore.pathPrefix + token)
        recorded.withLock { $0.append(.published(token: token, keyAuthorization: keyAuthorization, served: served)) }
        await afterPublishing?()
    }

    func withdraw(token: String) async {
        await store.withdraw(token: token)
        let served = store.keyAuthorization(forToken: token)
        recorded.withLock { $0.append(.withdrawn(token: token, servedAfterwards: served)) }
    }
}
