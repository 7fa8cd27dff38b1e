import Edge
import Synchronization

/// Collects what the certificate manager hands its `onStatusChange` hook (the API will record them).
final class CertificateStatusRecorder: Sendable {
    private let recorded = Mutex<[CertificateStatus]>([])

    var all: [CertificateStatus] { recorded.withLock { $0 } }

    func record(_ status: CertificateStatus) {
        recorded.withLock { $0.append(status) }
    }

    /// The states reported for `host`, in order.
    func states(of host: String) -> [CertificateStatus.State] {
        all.filter { $0.host == host }.map(\.state)
    }
}
