import NIOCore
import Synchronization

/// The connections a server is serving (``ActivatedHTTPServer``, the edge), so that graceful shutdown can ask
/// each to finish its current request and close (`ChannelShouldQuiesceEvent`, which Hummingbird's HTTP handler
/// and the edge's proxy understand), and close what is left when the time is up.
public final class ConnectionTracker: Sendable {
    private struct State {
        var channels: [ObjectIdentifier: any Channel] = [:]
        var isQuiescing = false
    }

    private let state = Mutex(State())

    public init() {}

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

    /// ``opened(_:)`` now and ``closed(_:)`` when the channel closes.
    public func track(_ channel: any Channel) {
        opened(channel)
        channel.closeFuture.whenComplete { [self] _ in closed(channel) }
    }

    /// The connections open now.
    public var openCount: Int { state.withLock { $0.channels.count } }

    /// Whether the server is shutting down: a connection whose handlers come later than the quiesce event
    /// (a TLS connection still negotiating its protocol) can ask.
    public var isQuiescing: Bool { state.withLock { $0.isQuiescing } }

    /// Asks every open connection, and every later one, to close after its in-flight request.
    func quiesce() {
        let channels = state.withLock { state in
            state.isQuiescing = true
            return Array(state.channels.values)
        }
        for channel in channels { Self.quiesce(channel) }
    }

    /// ``quiesce()``, then waits until every connection has closed, at most `timeout` (or until the task is
    /// cancelled), and closes those still open. The listeners must be closed first.
    public func drain(timeout: Duration) async {
        quiesce()
        let deadline = ContinuousClock.now + timeout
        while openCount > 0, ContinuousClock.now < deadline, !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(20))
        }
        for channel in state.withLock({ Array($0.channels.values) }) { channel.close(promise: nil) }
    }

    private static func quiesce(_ channel: any Channel) {
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
    }
}
