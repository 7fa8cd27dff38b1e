import Glibc

/// One line of a deployment's log: an instance's or build's output, or a note from pomegranate.
public struct LogLine: Sendable, Equatable {
    public enum Stream: String, Sendable {
        case stdout, stderr
        /// Written by pomegranate: "exited with status 1; restarting in 2 s".
        case system
    }

    /// Microseconds since 1970, when pomegranate read the line.
    public var timestamp: Int64
    /// The instance (`web-3f2a9c`), `build-<id>`, or `pomegranate`.
    public var instance: String
    public var stream: Stream
    public var text: String

    public init(timestamp: Int64, instance: String, stream: Stream, text: String) {
        self.timestamp = timestamp
        self.instance = instance
        self.stream = stream
        self.text = text
    }

    /// The on-disk form: `micros \t instance \t stream \t text \n` (text is last, so it may hold tabs).
    var encoded: String {
        "\(timestamp)\t\(instance)\t\(stream.rawValue)\t\(text)\n"
    }

    init?(decoding line: Substring) {
        let fields = line.split(separator: "\t", maxSplits: 3, omittingEmptySubsequences: false)
        guard fields.count == 4, let timestamp = Int64(fields[0]), let stream = Stream(rawValue: String(fields[2])) else {
            return nil
        }
        self.init(timestamp: timestamp, instance: String(fields[1]), stream: stream, text: String(fields[3]))
    }

    static func now() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Int64(time.tv_sec) * 1_000_000 + Int64(time.tv_nsec) / 1000
    }
}
