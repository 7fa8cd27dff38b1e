import Foundation

extension CertificateManager {
    /// What the manager knows about one host it issues certificates for.
    struct HostRecord: Sendable {
        let host: CertificateHostName
        /// The issued certificate (ACME or local CA), possibly expired.
        var certificate: ServedCertificate?
        /// Why the last attempt failed; nil after a success.
        var lastError: String?
        /// Consecutive failures, for the back-off.
        var failures = 0
        /// When the next issuance or renewal is due.
        var nextAttempt: Date?
        /// An issuance request is waiting in the queue.
        var queued = false
        /// An issuance is running (claimed by the queue or by ``CertificateManager/renewNow(host:)``).
        var inProgress = false
        /// The status last handed to the status hook, to report only changes.
        var reported: CertificateStatus?
        /// Since when the route table has not had this host (nil while routed): its certificate is
        /// deleted after ``Schedule/forgetUnroutedAfter``.
        var unroutedSince: Date?

        init(host: CertificateHostName, nextAttempt: Date?) {
            self.host = host
            self.nextAttempt = nextAttempt
        }

        func status(now: Date) -> CertificateStatus {
            let state: CertificateStatus.State
            if let certificate {
                state = certificate.notAfter > now ? .issued : .expired
            } else {
                state = lastError == nil ? .pending : .failed
            }
            return CertificateStatus(host: host.value, state: state, notAfter: certificate?.notAfter,
                                     lastError: lastError, nextAttempt: nextAttempt)
        }

        /// Whether a valid issued certificate exists.
        func hasValidCertificate(now: Date) -> Bool {
            certificate.map { $0.notAfter > now } ?? false
        }

        /// The current status when it differs from the last one reported (and marks it reported).
        mutating func takeStatusChange(now: Date) -> CertificateStatus? {
            let current = status(now: now)
            guard current != reported else { return nil }
            reported = current
            return current
        }
    }
}
