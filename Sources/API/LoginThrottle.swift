import Foundation

/// Counts failed logins per account and per client address over a sliding window. After
/// `maxFailures` in the window further attempts are refused until the oldest failure ages out,
/// which bounds password guessing without letting an attacker lock an account forever.
actor LoginThrottle {
    private let maxFailures: Int
    private let window: Duration
    private var failures: [String: [ContinuousClock.Instant]] = [:]
    private let clock = ContinuousClock()

    init(maxFailures: Int, window: Duration) {
        self.maxFailures = maxFailures
        self.window = window
    }

    /// Seconds to wait before another attempt for any of these keys, or nil when allowed.
    func retryAfter(keys: [String]) -> Int? {
        let now = clock.now
        var wait: Duration = .zero
        for key in keys {
            let recent = (failures[key] ?? []).filter { now - $0 < window }
            failures[key] = recent.isEmpty ? nil : recent
            if recent.count >= maxFailures, let oldest = recent.first {
                wait = max(wait, window - (now - oldest))
            }
        }
        return wait > .zero ? Int(wait.components.seconds) + 1 : nil
    }

    func recordFailure(keys: [String]) {
        let now = clock.now
        for key in keys { failures[key, default: []].append(now) }
        if failures.count > 100_000 { failures = failures.filter { now - ($0.value.last ?? now) < window } }
    }

    func recordSuccess(key: String) {
        failures[key] = nil
    }
}
