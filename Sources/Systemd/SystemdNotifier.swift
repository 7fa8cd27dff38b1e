import CSystemd
import Glibc

/// Tells the service manager about this daemon's state with `sd_notify(3)`: readiness, status text,
/// reloading, stopping and watchdog keep-alives (for `Type=notify` / `Type=notify-reload` units).
///
/// Every call is a no-op when the process is not supervised (`NOTIFY_SOCKET` unset), so a daemon calls
/// it unconditionally, also under `paastech dev`. `NOTIFY_SOCKET` is left in the environment (so later
/// calls keep working): never pass it to children, see ``SystemdEnvironment/variablesToStrip``.
public struct SystemdNotifier: Sendable {
    /// Creates a notifier for the current process.
    public init() {}

    /// Whether a service manager listens for notifications: `NOTIFY_SOCKET` is set and not empty.
    public static var isSupervised: Bool {
        guard let value = getenv("NOTIFY_SOCKET") else { return false }
        return value.pointee != 0
    }

    /// Sends `READY=1`: start-up is complete and the daemon serves requests.
    public func ready() throws {
        try send("READY=1")
    }

    /// Sends `STATUS=<text>`, shown by `systemctl status`. Line breaks become spaces, so the text
    /// cannot smuggle in other assignments such as `READY=1`.
    public func status(_ text: String) throws {
        // Unicode scalars, not Characters: "\r\n" is one Character and would not match "\n".
        let singleLine = String(String.UnicodeScalarView(text.unicodeScalars.map { $0 == "\n" || $0 == "\r" ? " " : $0 }))
        try send("STATUS=\(singleLine)")
    }

    /// Sends `RELOADING=1` with the `MONOTONIC_USEC` timestamp that `Type=notify-reload` requires.
    /// Call ``ready()`` again once the new configuration is in effect.
    public func reloading() throws {
        var now = timespec()
        try SystemCall.retryingInterrupts("clock_gettime(CLOCK_MONOTONIC)") {
            clock_gettime(CLOCK_MONOTONIC, &now)
        }
        let microseconds = Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1_000
        try send("RELOADING=1\nMONOTONIC_USEC=\(microseconds)")
    }

    /// Sends `STOPPING=1`: graceful shutdown has begun.
    public func stopping() throws {
        try send("STOPPING=1")
    }

    /// Sends the watchdog keep-alive `WATCHDOG=1`. ``WatchdogService`` does this on a timer.
    public func watchdog() throws {
        try send("WATCHDOG=1")
    }

    /// The interval within which the service manager expects ``watchdog()`` (`WatchdogSec=` of the unit),
    /// or nil when no watchdog is configured for this process (`sd_watchdog_enabled(3)`).
    /// Throws when `WATCHDOG_USEC` or `WATCHDOG_PID` are malformed.
    public var watchdogInterval: Duration? {
        get throws {
            var microseconds: UInt64 = 0
            let enabled = try SystemCall.checkingNegativeErrno(
                "sd_watchdog_enabled (reading WATCHDOG_USEC and WATCHDOG_PID)",
                sd_watchdog_enabled(0, &microseconds)
            )
            guard enabled > 0, microseconds > 0 else { return nil }
            return .microseconds(Int64(clamping: microseconds))
        }
    }

    private func send(_ state: String) throws {
        try SystemCall.checkingNegativeErrno(
            "sd_notify(\(state.debugDescription)) to NOTIFY_SOCKET",
            sd_notify(0, state)
        )
    }
}
