import Foundation
import Synchronization

/// One minute of a deployment's traffic through the edge, for the console's charts.
public struct TrafficMinute: Codable, Sendable, Equatable {
    /// The minute's start, seconds since 1970.
    public var start: Int64
    public var requests: Int
    /// Answers with a 5xx status (the app's, or the edge's 502/503/504).
    public var errors: Int
    /// Mean and slowest request time in milliseconds (0 without requests).
    public var latencyMsMean: Double
    public var latencyMsMax: Double

    enum CodingKeys: String, CodingKey {
        case start, requests, errors, latencyMsMean = "latency_ms_mean", latencyMsMax = "latency_ms_max"
    }
}

/// A deployment's counters for the minute in progress (relaxed atomics: one add per request, no lock),
/// and its last hour of finished minutes (written once a minute, by ``EdgeMetrics/closeMinute(endingAt:)``).
final class TrafficCounters: Sendable {
    private let requests = Atomic<Int>(0)
    private let errors = Atomic<Int>(0)
    private let latencyMicros = Atomic<Int>(0)
    private let latencyMaxMicros = Atomic<Int>(0)
    private let minutes = Mutex<[TrafficMinute]>([])
    static let kept = 60

    func record(status: UInt, seconds: Double) {
        requests.wrappingAdd(1, ordering: .relaxed)
        if status >= 500 { errors.wrappingAdd(1, ordering: .relaxed) }
        let micros = Int(seconds * 1e6)
        latencyMicros.wrappingAdd(micros, ordering: .relaxed)
        var seen = latencyMaxMicros.load(ordering: .relaxed)
        while micros > seen {
            let (exchanged, original) = latencyMaxMicros.compareExchange(expected: seen, desired: micros, ordering: .relaxed)
            if exchanged { break }
            seen = original
        }
    }

    /// The minute in progress so far (read without resetting).
    func current(start: Int64) -> TrafficMinute {
        Self.minute(start: start, requests: requests.load(ordering: .relaxed), errors: errors.load(ordering: .relaxed),
                    micros: latencyMicros.load(ordering: .relaxed), maxMicros: latencyMaxMicros.load(ordering: .relaxed))
    }

    /// Closes the minute that started at `start`: its counts move to the history and start again from zero.
    func close(start: Int64) {
        let minute = Self.minute(start: start, requests: requests.exchange(0, ordering: .relaxed), errors: errors.exchange(0, ordering: .relaxed),
                                 micros: latencyMicros.exchange(0, ordering: .relaxed), maxMicros: latencyMaxMicros.exchange(0, ordering: .relaxed))
        minutes.withLock { history in
            history.append(minute)
            if history.count > Self.kept { history.removeFirst(history.count - Self.kept) }
        }
    }

    func history() -> [TrafficMinute] { minutes.withLock { $0 } }

    static func minute(start: Int64, requests: Int, errors: Int, micros: Int, maxMicros: Int) -> TrafficMinute {
        TrafficMinute(start: start, requests: requests, errors: errors,
                      latencyMsMean: requests == 0 ? 0 : Double(micros) / Double(requests) / 1000,
                      latencyMsMax: Double(maxMicros) / 1000)
    }
}
