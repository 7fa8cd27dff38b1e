import Glibc

/// Direct journald entries with fields of our own, for lines that are not swift-log events
/// (an app instance's output, with `PAASTECH_PROJECT=` and friends).
public enum Journal {
    /// Whether journald is there to receive entries (it is not in containers and on CI machines).
    public static var isAvailable: Bool {
        access("/run/systemd/journal/socket", W_OK) == 0
    }

    /// Sends one entry; `fields` maps journal field names (upper case, e.g. `MESSAGE`) to values.
    /// - Returns: 0, or a negative errno when journald is unreachable.
    @discardableResult
    public static func send(_ fields: [(name: String, value: String)]) -> Int32 {
        JournalLogHandler.send(fields.map { "\($0.name)=\($0.value)" })
    }
}
