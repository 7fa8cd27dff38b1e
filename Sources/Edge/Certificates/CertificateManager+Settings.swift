import ACME
import Foundation

extension CertificateManager {
    /// Where certificates come from.
    public enum Mode: Sendable {
        /// From an ACME CA (Let's Encrypt in production) with HTTP-01 challenges on port 80.
        case acme(ACMESettings)
        /// From the local development CA (``LocalCertificateAuthority``), issued on the spot.
        case localCA
        /// Only self-signed fallbacks (TLS works, browsers warn).
        case selfSignedOnly
    }

    /// How to reach the ACME CA.
    public struct ACMESettings: Sendable {
        /// The directory URL, e.g. `https://acme-v02.api.letsencrypt.org/directory`.
        public var directoryURL: String
        /// `mailto:` URLs for the CA's expiry and policy mails; may be empty.
        public var contact: [String]
        /// PEM roots to trust for the CA's own HTTPS besides the system's (a private CA, pebble in tests).
        public var additionalTrustRootsPEM: String?
        /// How long to wait for validation and issuance.
        public var polling: ACMEPollingPolicy
        /// How long to keep trying to connect to the CA before an attempt counts as failed.
        public var connectTimeout: Duration

        public init(
            directoryURL: String, contact: [String] = [], additionalTrustRootsPEM: String? = nil,
            polling: ACMEPollingPolicy = ACMEPollingPolicy(), connectTimeout: Duration = .seconds(10)
        ) {
            self.directoryURL = directoryURL
            self.contact = contact
            self.additionalTrustRootsPEM = additionalTrustRootsPEM
            self.polling = polling
            self.connectTimeout = connectTimeout
        }

        /// Let's Encrypt's production directory.
        public static let letsEncryptDirectory = "https://acme-v02.api.letsencrypt.org/directory"
    }

    /// When certificates are renewed and failures retried.
    public struct Schedule: Sendable {
        /// Renew this long before a certificate expires.
        public var renewBefore: Duration
        /// The pause after a first failure; it doubles with each further failure...
        public var retryInitial: Duration
        /// ...up to this.
        public var retryMaximum: Duration
        /// How often ``CertificateManager/run()`` looks for due renewals and retries.
        public var checkInterval: Duration
        /// How long a local-CA certificate lasts.
        public var localCertificateValidity: Duration
        /// How long a self-signed fallback lasts before it is remade.
        public var fallbackValidity: Duration
        /// How many ACME issuances may run at once (each holds an HTTP client and polls the CA).
        public var maximumConcurrentIssuances: Int
        /// A host no longer routed this long loses its certificate (files and record); a short absence
        /// (an app between deploys, Pomegranate restarting) keeps it.
        public var forgetUnroutedAfter: Duration

        public init(
            renewBefore: Duration = .seconds(30 * 86_400),
            retryInitial: Duration = .seconds(60),
            retryMaximum: Duration = .seconds(6 * 3600),
            checkInterval: Duration = .seconds(60),
            localCertificateValidity: Duration = .seconds(7 * 86_400),
            fallbackValidity: Duration = .seconds(365 * 86_400),
            maximumConcurrentIssuances: Int = 4,
            forgetUnroutedAfter: Duration = .seconds(7 * 86_400)
        ) {
            self.renewBefore = renewBefore
            self.retryInitial = retryInitial
            self.retryMaximum = retryMaximum
            self.checkInterval = checkInterval
            self.localCertificateValidity = localCertificateValidity
            self.fallbackValidity = fallbackValidity
            self.maximumConcurrentIssuances = max(1, maximumConcurrentIssuances)
            self.forgetUnroutedAfter = forgetUnroutedAfter
        }

        /// The pause before attempt `failures + 1`: ``retryInitial`` doubled per earlier failure, capped.
        func retryDelay(afterFailures failures: Int) -> Duration {
            var delay = retryInitial
            var remaining = failures - 1
            while remaining > 0 && delay < retryMaximum {
                delay *= 2
                remaining -= 1
            }
            return min(delay, retryMaximum)
        }

        /// When to renew a certificate just obtained: its ``renewalDate(notBefore:notAfter:)``, but not
        /// sooner than ``retryInitial`` from now (a CA handing out very short certificates must not
        /// cause a renewal loop).
        func nextRenewal(of certificate: ServedCertificate, now: Date) -> Date {
            max(renewalDate(notBefore: certificate.notBefore, notAfter: certificate.notAfter),
                now + CertificateManager.timeInterval(retryInitial))
        }

        /// When a certificate is due for renewal: ``renewBefore`` ahead of its end, or a third of its
        /// lifetime ahead for short-lived ones (a 7-day local certificate is renewed after 4 to 5 days).
        func renewalDate(notBefore: Date, notAfter: Date) -> Date {
            let lifetime = notAfter.timeIntervalSince(notBefore)
            return notAfter - min(CertificateManager.timeInterval(renewBefore), lifetime / 3)
        }
    }
}

extension CertificateManager {
    /// `duration` in seconds, as Foundation dates count.
    static func timeInterval(_ duration: Duration) -> TimeInterval {
        let (seconds, attoseconds) = duration.components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
