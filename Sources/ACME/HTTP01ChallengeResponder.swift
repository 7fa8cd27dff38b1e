/// Serves HTTP-01 key authorizations at `http://<name>/.well-known/acme-challenge/<token>` while the
/// ACME server validates a name (RFC 8555 §8.3).
public protocol HTTP01ChallengeResponder: Sendable {
    /// Starts answering `token` with `keyAuthorization`. Returns once the answer is being served.
    func publish(token: String, keyAuthorization: String) async
    /// Stops answering `token`.
    func withdraw(token: String) async
}
