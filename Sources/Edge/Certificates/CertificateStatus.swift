import Foundation

/// Where a host's certificate stands, as the API's domains table records it
/// (`certificate_status`, `certificate_expires_at`).
public struct CertificateStatus: Sendable, Equatable, CustomStringConvertible {
    /// The states of the API's `certificate_status` column.
    public enum State: String, Sendable, Hashable {
        /// No certificate yet; issuance is queued or running (the fallback is served).
        case pending
        /// A valid certificate is served. A failed renewal keeps this state and sets ``CertificateStatus/lastError``.
        case issued
        /// No certificate, and the last attempt failed; ``CertificateStatus/nextAttempt`` says when it is retried.
        case failed
        /// The certificate ran out before a new one could be obtained (the fallback is served).
        case expired
    }

    /// The host name.
    public var host: String
    public var state: State
    /// End of validity of the certificate held (valid or expired), if any.
    public var notAfter: Date?
    /// Why the last attempt failed; nil after a success.
    public var lastError: String?
    /// When the next issuance or renewal is due.
    public var nextAttempt: Date?

    public init(host: String, state: State, notAfter: Date? = nil, lastError: String? = nil, nextAttempt: Date? = nil) {
        self.host = host
        self.state = state
        self.notAfter = notAfter
        self.lastError = lastError
        self.nextAttempt = nextAttempt
    }

    public var description: String {
        var text = "\(host): \(state.rawValue)"
        if let notAfter { text += ", valid until \(notAfter)" }
        if let nextAttempt { text += ", next attempt \(nextAttempt)" }
        if let lastError { text += ", last error: \(lastError)" }
        return text
    }
}
