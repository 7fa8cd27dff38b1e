import NIOCore
import Synchronization

/// The connections an ``ActivatedHTTPServer`` is serving, so graceful shutdown can ask each to finish its
/// current request and close (`ChannelShouldQuiesceEvent`, which Hummingbird's HTTP handler understands).
final class ConnectionTracker: Sendable {
    private struct State {
        var channels: [ObjectIdentifier: any Channel] = [:]
        var isQuiescing = false
    }

    private let state = Mutex(State())

    /// Tracks a new connection; one accepted while shutting down is told to quiesce at once.
    func opened(_ channel: any Channel) {
        let quiesceNow = state.withLock { state in
            state.channels[ObjectIdentifier(channel)] = channel
            return state.isQuiescing
        }
        if quiesceNow { Self.quiesce(channel) }
    }

    /// Forgets a connection that has been served.
    func closed(_ channel: any Channel) {
        state.withLock { state in
            state.channels[ObjectIdentifier(channel)] = nil
        }
    }

    /// Asks every open connection, and every later one, to close after its in-flight request.
    func quiesce() {
        let channels = state.withLock { state in
            state.isQuiescing = true
            return Array(state.channels.values)
        }
        for channel in channels { Self.quiesce(channel) }
    }

    private static func quiesce(_ channel: any Channel) {
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
    }
}
